"""Issue 9, point 7: the admin speaks Vietnamese, shows Vietnam time as
dd/mm/yyyy hh:mm, shows no raw JSON where a person reads, and has the
escalation rules the README promises."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

ENGLISH = [
    "Auth Token",
    "AUTH TOKEN",
    ">Tokens<",
    "Process list",
    ">Tasks<",
    "Show counts",
    "Access attempts",
    "Access failures",
    "Access logs",
    "Status before supplement",
    "Applicant name folded",
    "Current handover",
    "Idempotency key",
    "Events count",
    "Created by",
    "From unit",
    "Actor name",
]


def superuser() -> Client:
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    return client


def test_admin_pages_have_no_english_and_local_times(received):
    client = superuser()
    dossier = client.get("/admin/workflows/dossier/").content.decode()
    pk = __import__("workflows.models", fromlist=["Dossier"]).Dossier.objects.get().pk
    pages = {
        "index": client.get("/admin/").content.decode(),
        "dossiers": dossier,
        "dossier": client.get(f"/admin/workflows/dossier/{pk}/change/").content.decode(),
        "axes": client.get("/admin/axes/accessattempt/").content.decode(),
        "tokens": client.get("/admin/authtoken/tokenproxy/").content.decode(),
        "clocks": client.get("/admin/workflows/clock/").content.decode(),
    }
    for name, html in pages.items():
        for word in ENGLISH:
            assert word not in html, (name, word)
    page = pages["dossier"]
    assert "30/11/2026 08:00" in page  # received Mon 30/11 08:00 +07:00, not UTC ISO
    assert "+00:00" not in page and '{"' not in page  # no raw JSON
    assert "Giấy ra viện (bản sao, 1 bộ)" in page
    assert "Quy tắc cảnh báo" in pages["index"]


def test_escalation_rules_are_editable_by_the_superuser_only(demo):
    r = superuser().post(
        "/admin/workflows/escalationpolicy/add/",
        {
            "step_warning_percent": 80,
            "apology_lead_hours": 8,
            "unclaimed_hours": 2,
            "supplement_days": 15,
            "notify_step_warning": "on",
            "close_unsupplemented": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    from workflows.selectors.escalation import global_policy

    assert global_policy()["unclaimed_hours"] == 2
    admin_of_centre = Client()
    admin_of_centre.force_login(User.objects.get(username="hacthanh.quantri"))
    assert admin_of_centre.get("/admin/workflows/escalationpolicy/add/").status_code == 403
