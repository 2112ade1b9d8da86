from django.urls import path

from workflows.api import board, calendar, dossiers, tracking

app_name = "workflows"

urlpatterns = [
    path("deadlines/preview/", calendar.DeadlinePreviewView.as_view(), name="deadline-preview"),
    path("calendar/overrides/", calendar.CalendarOverrideListView.as_view(), name="override-list"),
    path(
        "calendar/overrides/<int:pk>/",
        calendar.CalendarOverrideDetailView.as_view(),
        name="override-detail",
    ),
    path("dossiers/", dossiers.DossierListView.as_view(), name="dossier-list"),
    path("dossiers/<str:code>/", dossiers.DossierDetailView.as_view(), name="dossier-detail"),
    *[
        path(f"dossiers/<str:code>/{action}/", view.as_view(), name=f"dossier-{action}")
        for action, view in dossiers.ACTION_VIEWS.items()
    ],
    path(
        "dossiers/<str:code>/correct-end/",
        dossiers.DossierCorrectEndView.as_view(),
        name="dossier-correct-end",
    ),
    path(
        "dossiers/<str:code>/reissue-pin/",
        dossiers.DossierReissuePinView.as_view(),
        name="dossier-reissue-pin",
    ),
    path("board/<str:centre>/", board.BoardCountsView.as_view(), name="board-counts"),
    path("track/<str:code>/", tracking.TrackView.as_view(), name="track"),
    path("track/<str:code>/rating/", tracking.RatingView.as_view(), name="track-rating"),
]
