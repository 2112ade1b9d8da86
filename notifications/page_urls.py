"""The officer's bell page and the managers' undelivered list (included by
config/urls.py under ``/notifications/``)."""

from django.urls import path

from notifications import views

app_name = "notification_pages"

urlpatterns = [
    path("", views.bell, name="bell"),
    path("undelivered/", views.undelivered, name="undelivered"),
    path("undelivered/<int:pk>/", views.undelivered_detail, name="undelivered-detail"),
]
