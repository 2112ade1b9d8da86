from django.urls import path

from workflows.views import forms as views

app_name = "dossier_pages"

urlpatterns = [
    path("<str:code>/forms/<str:form>/", views.dossier_form, name="form"),
]
