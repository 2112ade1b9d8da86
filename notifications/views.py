"""The officer's bell page: the newest notifications, server-rendered, then
live through ``/ws/notifications/``; the managers' list of what could not be
delivered."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from config.errors import NotFound
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


UNDELIVERED_PAGE_SIZE = 50
TABS = [("", "Tất cả"), ("waiting", "Đang thử lại"), ("expired", "Hết hiệu lực, không gửi")]


@login_required
def undelivered(request):
    """What could not be delivered, for the managers of the centres in scope."""
    if not selectors.may_see_undelivered(request.user):
        raise PermissionDenied
    state = request.GET.get("state", "")
    if state not in selectors.UNDELIVERED_STATES:
        state = ""
    counts = selectors.undelivered_counts(user=request.user)
    page = Paginator(
        selectors.undelivered_list(user=request.user, state=state), UNDELIVERED_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    tabs = [
        {
            "state": key,
            "label": label,
            "count": counts[key] if key else sum(counts.values()),
            "current": key == state,
        }
        for key, label in TABS
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "state": state,
        "channels_down": selectors.channels_down(),
    }
    return render(request, "notifications/undelivered.html", context)


@login_required
def undelivered_detail(request, pk: int):
    if not selectors.may_see_undelivered(request.user):
        raise PermissionDenied
    try:
        n = selectors.undelivered_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404("Không tìm thấy thông báo này.") from None
    return render(request, "notifications/undelivered_detail.html", {"n": n})
