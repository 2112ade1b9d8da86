"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket authentication: the session (officers logged in to the site) or,
for API clients, ``?token=<API token>``. The citizen's tracking socket and the
centre's board need no account.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from notifications.middleware import TokenAuthMiddlewareStack  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from workflows.routing import websocket_urlpatterns as workflow_routes  # noqa: E402

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            TokenAuthMiddlewareStack(URLRouter([*notification_routes, *workflow_routes]))
        ),
    }
)
