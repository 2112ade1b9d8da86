"""The REST API of notifications, the officer's bell page and the outbox admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from notifications import sms
from notifications.models import Delivery, Notification
from notifications.services import FAST_PATH_GRACE, Recipient, deliveries_run, notify
from procedures.models import Unit

pytestmark = pytest.mark.django_db

CODE = "38.14797-261125-0001"
HANDLER = "hacthanh.bhxh.chuyenvien"
LIST = "/api/v1/notifications/"


@pytest.fixture(autouse=True)
def _no_pushes(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def sent(demo, clock):
    """Notifications addressed every which way, one minute apart."""
    handler = User.objects.get(username=HANDLER)
    other_unit = Unit.objects.get(agency__code="bhxh-16531", code="nghiep-vu")
    targets = {
        "personal": Recipient(kind="officer", user_id=handler.pk),
        "unit": Recipient(kind="unit", unit_id=handler.officer.unit_id),
        "centre": Recipient(kind="centre", centre_id=handler.officer.centres.get().pk),
        "colleague": Recipient(
            kind="officer", user_id=User.objects.get(username="hacthanh.bhxh.lanhdao").pk
        ),
        "other_unit": Recipient(kind="unit", unit_id=other_unit.pk),
        "citizen": Recipient(kind="citizen", phone="0912345678"),
    }
    ids = {}
    for name, recipient in targets.items():
        [n] = notify(
            recipients=[recipient],
            kind="queue.new",
            title=f"Gửi {name}",
            body="Nội dung",
            dossier=CODE,
            data={"to": name},
        )
        ids[name] = n.pk
        clock.advance(minutes=1)
    return ids


def test_an_officer_lists_theirs_their_units_and_their_centres_newest_first(api, sent):
    r = api(HANDLER).get(LIST)
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert [n["id"] for n in body["results"]] == [sent["centre"], sent["unit"], sent["personal"]]
    assert body["results"][-1] == {
        "type": "notification",
        "id": sent["personal"],
        "kind": "queue.new",
        "dossier": CODE,
        "title": "Gửi personal",
        "body": "Nội dung",
        "created_at": "2026-11-30T08:00:00+07:00",
        "data": {"to": "personal"},
        "read_at": None,
    }


def test_a_manager_without_a_unit_sees_the_centres(api, sent):
    r = api("hacthanh.quanly").get(LIST)
    assert [n["id"] for n in r.json()["results"]] == [sent["centre"]]


def test_after_and_unread_filter(api, sent):
    client = api(HANDLER)
    assert [n["id"] for n in client.get(LIST, {"after": sent["personal"]}).json()["results"]] == [
        sent["centre"],
        sent["unit"],
    ]
    client.post(f"{LIST}{sent['unit']}/read/")
    unread = client.get(LIST, {"unread": "true"}).json()
    assert [n["id"] for n in unread["results"]] == [sent["centre"], sent["personal"]]
    assert client.get(LIST, {"unread": "false"}).json()["count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [({"after": "abc"}, "after"), ({"after": "-1"}, "after"), ({"unread": "maybe"}, "unread")],
)
def test_bad_filters_are_400_with_the_field(api, sent, params, field):
    r = api(HANDLER).get(LIST, params)
    assert r.status_code == 400
    assert r.json()["error"] in {"invalid_after", "invalid_boolean"}
    assert field in r.json()["fields"]


def test_reading_marks_once_and_returns_the_notification(api, sent, clock):
    client = api(HANDLER)
    r = client.post(f"{LIST}{sent['unit']}/read/")
    assert r.status_code == 200
    assert r.json()["id"] == sent["unit"]
    first = r.json()["read_at"]
    assert first == clock.at.isoformat()
    clock.advance(hours=1)
    again = client.post(f"{LIST}{sent['unit']}/read/").json()
    assert again["read_at"] == first  # the first reading time is kept
    assert Notification.objects.get(pk=sent["unit"]).read_at == clock.at - dt.timedelta(hours=1)


@pytest.mark.parametrize("whose", ["colleague", "other_unit", "citizen"])
def test_someone_elses_notification_is_404(api, sent, whose):
    r = api(HANDLER).post(f"{LIST}{sent[whose]}/read/")
    assert r.status_code == 404
    assert r.json()["error"] == "notification_not_found"
    assert r.json()["message"] == "Không có thông báo này."
    assert Notification.objects.get(pk=sent[whose]).read_at is None


def test_an_unknown_id_is_404(api, sent):
    assert api(HANDLER).post(f"{LIST}999999999/read/").status_code == 404


def test_read_all_marks_only_up_to_what_was_seen(api, sent, clock):
    client = api(HANDLER)
    r = client.post(f"{LIST}read-all/", {"up_to": sent["unit"]}, format="json")
    assert r.status_code == 200
    assert r.json() == {"updated": 2, "unread": 1}
    assert Notification.objects.get(pk=sent["centre"]).read_at is None
    assert Notification.objects.get(pk=sent["colleague"]).read_at is None  # not theirs
    assert client.post(f"{LIST}read-all/", format="json").json() == {"updated": 1, "unread": 0}
    bad = client.post(f"{LIST}read-all/", {"up_to": 0}, format="json")
    assert bad.status_code == 400 and "up_to" in bad.json()["fields"]


def test_the_api_needs_an_account(api, sent):
    r = api().get(LIST)
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"
    assert api().post(f"{LIST}{sent['personal']}/read/").status_code == 401


def test_session_clients_need_the_csrf_token(demo, sent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=HANDLER))
    page = client.get("/notifications/")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.content.decode())[1]
    url = f"{LIST}{sent['personal']}/read/"
    assert client.post(url).status_code == 403
    assert client.post(url, HTTP_X_CSRFTOKEN=token).status_code == 200


# ---------------------------------------------------------------------------
# The bell page
# ---------------------------------------------------------------------------


def _page(username: str):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.get("/notifications/")


def test_the_bell_page_lists_newest_first_with_the_unread_count(sent, api):
    api(HANDLER).post(f"{LIST}{sent['unit']}/read/")
    r = _page(HANDLER)
    assert r.status_code == 200
    html = r.content.decode()
    assert re.findall(r'<li data-id="(\d+)"', html) == [
        str(sent["centre"]),
        str(sent["unit"]),
        str(sent["personal"]),
    ]
    assert re.search(rf'<li data-id="{sent["unit"]}"[^>]*data-read="true"', html)
    assert re.search(rf'<li data-id="{sent["centre"]}"[^>]*data-read="false"', html)
    assert '<span id="unread-count" data-count="2"' in html
    assert "<title>(2) Thông báo – motcua</title>" in html
    assert f'data-last-id="{sent["centre"]}"' in html
    assert 'data-ws-path="/ws/notifications/"' in html
    assert 'data-api-read="/api/v1/notifications/0/read/"' in html
    assert 'id="connection-state"' in html
    assert "Gửi colleague" not in html and "Gửi citizen" not in html
    assert "08:02 30/11/2026" in html  # the centre's, in Vietnam time


def test_the_bell_page_escapes_what_it_shows(demo, clock):
    handler = User.objects.get(username=HANDLER)
    notify(
        recipients=[Recipient(kind="officer", user_id=handler.pk)],
        kind="x",
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)>",
    )
    html = _page(HANDLER).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_the_bell_page_needs_a_login_and_an_officer(demo):
    r = Client().get("/notifications/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    User.objects.create_user("congdan", password="x")
    assert _page("congdan").status_code == 403
    assert _page("admin").status_code == 200  # a superuser has a personal bell


# ---------------------------------------------------------------------------
# Admin
# ---------------------------------------------------------------------------


def test_admin_lists_the_outbox_and_retries_now(demo, clock, monkeypatch):
    calls = []

    class Gateway:
        def send(self, to, text):
            calls.append(to)
            if len(calls) == 1:
                raise sms.SMSError("HTTP 503 Service Unavailable")

    monkeypatch.setattr(sms, "get_sms_gateway", Gateway)
    [n] = notify(
        recipients=[Recipient(kind="citizen", phone="0912345678")],
        kind="result.ready",
        title="Hồ sơ đã có kết quả",
        body="",
        dossier=CODE,
        channels=("sms",),
    )
    assert deliveries_run(now=clock.at + FAST_PATH_GRACE) == {
        "sent": 0,
        "retrying": 1,
        "expired": 0,
    }
    d = Delivery.objects.get(notification=n)
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/admin/notifications/notification/").status_code == 200
    assert client.get(f"/admin/notifications/notification/{n.pk}/change/").status_code == 200
    listing = client.get("/admin/notifications/delivery/")
    assert listing.status_code == 200
    assert "HTTP 503 Service Unavailable" in listing.content.decode()
    r = client.post(
        "/admin/notifications/delivery/",
        {"action": "retry_now", "_selected_action": [d.pk]},
        follow=True,
    )
    assert r.status_code == 200
    assert "Đã gửi 1" in r.content.decode()
    d.refresh_from_db()
    assert (d.state, d.attempts, d.sent_at) == ("sent", 2, clock.at)
    assert calls == ["0912345678", "0912345678"]
    assert client.get("/admin/notifications/notification/add/").status_code == 403
