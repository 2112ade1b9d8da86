from django.urls import path

from workflows import views

app_name = "dossier_pages"

urlpatterns = [
    path("<str:code>/forms/<str:form>/", views.dossier_form, name="form"),
]
