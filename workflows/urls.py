from django.urls import path

from workflows.api import calendar

app_name = "workflows"

urlpatterns = [
    path("deadlines/preview/", calendar.DeadlinePreviewView.as_view(), name="deadline-preview"),
    path("calendar/overrides/", calendar.CalendarOverrideListView.as_view(), name="override-list"),
    path(
        "calendar/overrides/<int:pk>/",
        calendar.CalendarOverrideDetailView.as_view(),
        name="override-detail",
    ),
]
