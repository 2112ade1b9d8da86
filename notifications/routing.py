"""WebSocket routes of the notifications app (mounted by config/asgi.py)."""

from django.urls import path

from notifications.consumers import NotificationConsumer

WS_PATH = "/ws/notifications/"

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="notifications-ws"),
]
