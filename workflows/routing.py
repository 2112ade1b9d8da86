from django.urls import path

from workflows import consumers

websocket_urlpatterns = [
    path("ws/track/<str:code>/", consumers.TrackConsumer.as_asgi()),
    path("ws/board/<str:centre>/", consumers.BoardConsumer.as_asgi()),
    path("ws/dossiers/<str:code>/", consumers.DossierConsumer.as_asgi()),
]
