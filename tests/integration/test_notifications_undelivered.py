"""What could not be delivered, shown to the managers of the dossier's centre
(and in the admin), and to nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.layers import channel_layers
from django.contrib.auth.models import User
from django.test import Client

from notifications.models import Delivery, Notification
from notifications.services import FAST_PATH_GRACE, breaker, deliveries_run
from tests.integration.conftest import receipt_body
from tests.support.gateways import closed_port
from workflows.models import Dossier

BROKEN_LAYER = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6390/0"]},
    }
}


@pytest.fixture
def outage(settings):
    """The channel layer and the SMS gateway down (refused connections)."""
    settings.CHANNEL_LAYERS = BROKEN_LAYER
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{closed_port()}/sms"
    channel_layers.backends.clear()
    for b in breaker.BREAKERS.values():
        b.reset()
    yield
    channel_layers.backends.clear()
    for b in breaker.BREAKERS.values():
        b.reset()


@pytest.fixture
def two_centres(demo, clock, api, outage):
    """A dossier received at Hạc Thành and one at Sầm Sơn, each with a
    supplement request (the citizen told by web, SMS, e-mail); the runs find
    the channels down."""
    codes = {}
    for centre, desk in (("14797", "hacthanh.bhxh.motcua"), ("16531", "samson.bhxh.motcua")):
        body = receipt_body(centre=centre, complete=False, missing_items=["Giấy ra viện (bản sao)"])
        r = api(desk).post("/api/v1/dossiers/", body, format="json")
        assert r.status_code == 201, r.json()
        codes[centre] = r.json()["code"]
    assert Dossier.objects.get(code=codes["14797"]).status == "awaiting_supplement"
    deliveries_run(now=clock.at + FAST_PATH_GRACE)
    return codes


def page(username: str, path: str = "/notifications/undelivered/"):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.get(path)


def test_notify_files_each_notification_under_the_dossiers_centre(two_centres):
    for centre, code in two_centres.items():
        rows = Notification.objects.filter(dossier=code)
        assert rows.exists()
        assert set(rows.values_list("centre__code", flat=True)) == {centre}
        # the request to supplement matters until its deadline
        request = Dossier.objects.get(code=code).supplement_requests.get()
        told = rows.get(kind="supplement.requested")
        assert told.expires_at == request.deadline
        assert dt.datetime.fromisoformat(told.data["deadline"]) == request.deadline


def test_a_manager_sees_what_could_not_be_delivered_at_their_centre_only(two_centres):
    hacthanh, samson = two_centres["14797"], two_centres["16531"]
    r = page("hacthanh.quanly")
    assert r.status_code == 200
    html = r.content.decode()
    assert hacthanh in html and samson not in html
    mine = Delivery.objects.filter(notification__dossier=hacthanh).exclude(last_error="")
    assert mine.exists()
    for d in mine:
        assert f'data-delivery="{d.pk}"' in html
    assert "Tin nhắn SMS" in html and "ConnectionRefusedError" in html
    assert "Kênh Tin nhắn SMS đang lỗi" in html  # the banner
    others = Delivery.objects.filter(notification__dossier=samson)
    for d in others:
        assert f'data-delivery="{d.pk}"' not in html

    # The detail of a notification of another centre is not found.
    theirs = Notification.objects.filter(dossier=samson).first()
    assert page("hacthanh.quanly", f"/notifications/undelivered/{theirs.pk}/").status_code == 404
    own = Notification.objects.filter(dossier=hacthanh, deliveries__channel="sms").first()
    detail = page("hacthanh.quanly", f"/notifications/undelivered/{own.pk}/")
    assert detail.status_code == 200 and 'data-channel="sms"' in detail.content.decode()
    # The other centre's manager: the reverse.
    html = page("samson.quanly").content.decode()
    assert samson in html and hacthanh not in html
    assert page("samson.quanly", f"/notifications/undelivered/{own.pk}/").status_code == 404


def test_only_managers_administrators_and_the_superuser_see_it(two_centres):
    assert page("hacthanh.bhxh.chuyenvien").status_code == 403
    assert page("hacthanh.bhxh.motcua").status_code == 403
    assert page("hacthanh.quantri").status_code == 200
    everything = page("admin").content.decode()
    assert all(code in everything for code in two_centres.values())
    anonymous = Client().get("/notifications/undelivered/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_expired_ones_are_listed_as_expired(two_centres, clock):
    # A month later the layer and the gateway are still down: the request to
    # supplement stopped mattering at its deadline and expired unsent.
    later = clock.at + dt.timedelta(days=31)
    counts = deliveries_run(now=later)
    assert counts["expired"] == Delivery.objects.filter(state="expired").count() > 0
    assert not Delivery.objects.filter(state="pending").exists()
    html = page("hacthanh.quanly", "/notifications/undelivered/?state=expired").content.decode()
    hacthanh = Delivery.objects.filter(notification__dossier=two_centres["14797"])
    assert hacthanh.filter(state="sent").exists()  # e-mail (the test backend) worked
    assert html.count('data-state="expired"') == hacthanh.filter(state="expired").count() > 0
    assert 'data-state="sent"' not in html
    waiting = page("hacthanh.quanly", "/notifications/undelivered/?state=waiting").content.decode()
    assert 'id="nothing-undelivered"' in waiting


def test_the_admin_filters_by_delivery_state(two_centres):
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    r = client.get("/admin/notifications/delivery/", {"state__exact": "pending"})
    assert r.status_code == 200
    assert "Chờ kênh hoạt động lại" in r.content.decode() or "chờ kênh" in r.content.decode()
    r = client.get("/admin/notifications/notification/", {"outcome": "undelivered"})
    assert r.status_code == 200
    html = r.content.decode()
    assert all(code in html for code in two_centres.values())
    assert client.get("/admin/notifications/notification/", {"outcome": "sent"}).status_code == 200
    assert client.get("/admin/notifications/channelhealth/").status_code == 200
