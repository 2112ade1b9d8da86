from django.urls import path

from workflows.views import dossier
from workflows.views import forms as views

app_name = "dossier_pages"

urlpatterns = [
    path("<str:code>/", dossier.dossier_page, name="dossier"),
    path("<str:code>/act/<str:action>/", dossier.dossier_action, name="act"),
    path("<str:code>/forms/<str:form>/", views.dossier_form, name="form"),
]
