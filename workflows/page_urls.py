from django.urls import path, re_path

from workflows.views import dossier
from workflows.views import forms as views

app_name = "dossier_pages"

urlpatterns = [
    path("<str:code>/", dossier.dossier_page, name="dossier"),
    path("<str:code>/act/<str:action>/", dossier.dossier_action, name="act"),
    path("<str:code>/correct-end/", dossier.dossier_correct_end_page, name="correct-end"),
    path("<str:code>/forms/<str:form>/", views.dossier_form, name="form"),
    re_path(
        r"^(?P<code>[^/]+)/forms/(?P<form>[0-9]{2})\.pdf$", views.dossier_form_pdf, name="form-pdf"
    ),
]
