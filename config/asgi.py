"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket authentication: the session (officers logged in to the site; the
browser's ``Origin`` must then be an allowed host) or, for API clients,
``?token=<API token>``. The citizen's tracking socket takes a PIN or a signed
tracking token; the centre's wall board its board key. The client's address is
the peer's unless it is a trusted proxy (``TRUSTED_PROXIES``).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.asgi_middleware import ClientAddressMiddleware, CookieOriginValidator  # noqa: E402
from config.startup import freeze_startup_objects  # noqa: E402
from notifications.middleware import TokenAuthMiddlewareStack  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402
from workflows.routing import websocket_urlpatterns as workflow_routes  # noqa: E402

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ClientAddressMiddleware(
    ProtocolTypeRouter(
        {
            "http": http_app,
            "websocket": CookieOriginValidator(
                TokenAuthMiddlewareStack(URLRouter([*notification_routes, *workflow_routes]))
            ),
        }
    ),
    trusted_proxies=settings.TRUSTED_PROXIES,
)
freeze_startup_objects()
