"""The officer's bell page: the newest notifications, server-rendered, then
live through ``/ws/notifications/``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from notifications import selectors
from notifications.routing import WS_PATH

PAGE_SIZE = 50


@login_required
def bell(request):
    audience = selectors.audience_for(request.user)
    if audience is None or not audience.staff:
        return render(request, "notifications/bell.html", {"forbidden": True}, status=403)
    items = [
        selectors.notification_payload(n, with_read_at=True)
        for n in selectors.notifications_list(audience=audience)[:PAGE_SIZE]
    ]
    last_id = max((item["id"] for item in items), default=0)
    context = {
        "items": items,
        "last_id": last_id,
        # Up to the last id shown: anything newer arrives by resume and is
        # counted by the page, once.
        "unread": selectors.notifications_unread_count(audience, up_to=last_id),
        "ws_path": WS_PATH,
        "api_read": reverse("notifications:notification-read", args=[0]),
        "api_read_all": reverse("notifications:notification-read-all"),
        "api_list": reverse("notifications:notification-list"),
    }
    return render(request, "notifications/bell.html", context)
