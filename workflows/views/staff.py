"""The officers' frame: where ``/`` sends each role, and what every staff
page's header shows (``staff_frame`` context processor)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from procedures.models import Role
from procedures.selectors import officer_of


def landing_url(user) -> str:
    """The first page of a signed-in user's day, by role."""
    if user is None or not user.is_authenticated:
        return "/track/"
    officer = officer_of(user)
    if officer is None:
        return "/admin/" if user.is_staff else "/track/"
    if officer.role == Role.ADMINISTRATOR:
        return "/admin/"
    if officer.role == Role.RECEIVER:
        return "/desk/receive/"
    if officer.role == Role.MANAGER:
        return "/dashboard/"
    return "/inbox/"


def home(request):
    return redirect(landing_url(request.user))


def staff_frame(request) -> dict[str, Any]:
    """The header of staff pages: who is signed in, for which centre, in which
    role, and the unread count. Lazy: no query unless a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"frame": SimpleLazyObject(lambda: _frame(user))}


def _frame(user) -> dict[str, Any]:
    from notifications import selectors

    officer = officer_of(user)
    centres = list(officer.centres.order_by("code")) if officer is not None else []
    audience = selectors.audience_for(user)
    unread = selectors.notifications_unread_count(audience) if audience is not None else 0
    return {
        "name": (officer.full_name if officer is not None else "") or user.get_username(),
        "role": str(officer.get_role_display()) if officer is not None else "Quản trị hệ thống",
        "centres": centres,
        "centre": centres[0] if centres else None,
        "unread": unread,
        "admin": user.is_staff,
        "desk": officer is not None and officer.role == Role.RECEIVER,
        "dashboard": user.is_superuser
        or (
            officer is not None
            and officer.role in (Role.MANAGER, Role.APPROVER, Role.ADMINISTRATOR)
        ),
    }
