"""The officer's bell page (included by config/urls.py under ``/notifications/``)."""

from django.urls import path

from notifications import views

app_name = "notification_pages"

urlpatterns = [
    path("", views.bell, name="bell"),
]
