from django.urls import path

from . import api

app_name = "procedures"

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("procedures/", api.ProcedureListView.as_view(), name="procedure-list"),
    path("procedures/<str:code>/", api.ProcedureDetailView.as_view(), name="procedure-detail"),
    path("centres/", api.CentreListView.as_view(), name="centre-list"),
    path("centres/<str:code>/", api.CentreDetailView.as_view(), name="centre-detail"),
]
