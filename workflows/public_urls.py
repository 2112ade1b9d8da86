from django.urls import path

from workflows.views import public as views

app_name = "public"

urlpatterns = [
    path("track/", views.track_page, name="track"),
    path("t/<str:code>/<str:token>", views.short_track_link, name="track-short"),
    path("board/<str:centre>/", views.board_page, name="board"),
]
