"""PIN guessing is hopeless and never locks the citizen out (issue 8, point 4)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.integration.conftest import BHXH
from workflows.models import AccessCounter, Dossier, DossierEvent
from workflows.services.tracking import ADDRESS_LIMIT, CODE_LIMIT, tracking_token


def _wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def track(client, code, *, pin=None, t=None, addr="10.0.0.1"):
    query = f"pin={pin}" if pin is not None else f"t={t}"
    return client.get(f"/api/v1/track/{code}/?{query}", REMOTE_ADDR=addr)


def test_guessing_one_code_needs_more_than_a_year_from_any_number_of_addresses(
    received, api, clock
):
    code, pin = received["code"], received["tracking_pin"]
    public = api(None)
    # Ten wrong PINs from ten addresses…
    for i in range(CODE_LIMIT[0]):
        assert track(public, code, pin=_wrong(pin), addr=f"10.1.0.{i}").status_code == 404
    # …and the code is closed to PIN attempts from every address, the right PIN included.
    blocked = track(public, code, pin=pin, addr="10.9.9.9")
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"
    retry = int(blocked["Retry-After"])
    assert CODE_LIMIT[1] - 60 < retry <= CODE_LIMIT[1]
    # The window is a day: after it, ten more attempts.
    clock.advance(seconds=CODE_LIMIT[1] + 1)
    assert track(public, code, pin=pin, addr="10.9.9.9").status_code == 200
    # The allowed rate for one code: 10 a day, 3,650 a year, against 1,000,000 PINs.
    per_year = CODE_LIMIT[0] * 365 * 24 * 3600 / CODE_LIMIT[1]
    assert per_year == 3650
    assert 10**6 / per_year > 1  # years to try every PIN (273.97)


def test_one_address_is_limited_across_codes(received, api):
    code, pin = received["code"], received["tracking_pin"]
    public = api(None)
    for i in range(ADDRESS_LIMIT[0]):
        assert track(public, f"38.14797-261130-9{i:03d}", pin="123456").status_code == 404
    r = track(public, code, pin=pin)
    assert r.status_code == 429 and int(r["Retry-After"]) <= ADDRESS_LIMIT[1]
    # another address is not affected
    assert track(public, code, pin=pin, addr="10.0.0.2").status_code == 200


def test_the_token_path_is_never_limited(received, api):
    code, pin = received["code"], received["tracking_pin"]
    public = api(None)
    for i in range(CODE_LIMIT[0]):
        track(public, code, pin=_wrong(pin), addr=f"10.2.0.{i}")
    assert track(public, code, pin=pin).status_code == 429
    token = tracking_token(Dossier.objects.get(code=code))
    ok = track(public, code, t=token)
    assert ok.status_code == 200 and ok.json()["code"] == code
    # the receipt gives the citizen the link; the PIN is not in it
    assert f"t={token}" in received["tracking_url"] and pin not in received["tracking_url"]
    # a forged token is refused like a wrong PIN, and is not counted
    assert track(public, code, t="x" * 22).status_code == 404
    rating = public.post(
        f"/api/v1/track/{code}/rating/?t={token}", {"score": "satisfied"}, format="json"
    )
    assert rating.status_code == 409  # reached the service: not returned yet


def test_wrong_pin_and_unknown_code_answer_alike_doing_the_same_work(received, api):
    code, pin = received["code"], received["tracking_pin"]
    public = api(None)
    unknown = "38.14797-261130-0999"

    def run(c):
        with CaptureQueriesContext(connection) as queries:
            response = track(public, c, pin=_wrong(pin), addr="10.3.0.1")
        shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
        return response, shapes

    wrong, wrong_sql = run(code)
    missing, missing_sql = run(unknown)
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json() == missing.json()
    assert wrong_sql == missing_sql and len(wrong_sql) <= 4


def test_staff_pin_check_on_form_01_goes_through_the_limiter(received, client):
    from django.contrib.auth.models import User

    code, pin = received["code"], received["tracking_pin"]
    client.force_login(User.objects.get(username=BHXH["desk"]))
    for _ in range(CODE_LIMIT[0]):
        page = client.get(f"/dossiers/{code}/forms/01/?pin={_wrong(pin)}").content.decode()
        assert "Mã tra cứu không đúng" in page and _wrong(pin) not in page.split("Mã tra cứu:")[-1]
    page = client.get(f"/dossiers/{code}/forms/01/?pin={pin}").content.decode()
    assert f"<b>{pin}</b>" not in page and "quá nhiều lần" in page
    assert AccessCounter.objects.get(key=f"code:{code}").failures == CODE_LIMIT[0]


def test_the_desk_reissues_the_pin(received, api):
    code, old_pin = received["code"], received["tracking_pin"]
    public = api(None)
    for i in range(CODE_LIMIT[0]):
        track(public, code, pin=_wrong(old_pin), addr=f"10.4.0.{i}")
    old_token = tracking_token(Dossier.objects.get(code=code))
    # another centre's desk does not even see the dossier
    assert (
        api("samson.bhxh.motcua").post(f"/api/v1/dossiers/{code}/reissue-pin/").status_code == 404
    )
    assert api(BHXH["handler"]).post(f"/api/v1/dossiers/{code}/reissue-pin/").status_code == 403
    r = api(BHXH["desk"]).post(f"/api/v1/dossiers/{code}/reissue-pin/")
    assert r.status_code == 200
    new_pin = r.json()["tracking_pin"]
    assert re.fullmatch(r"\d{6}", new_pin)
    assert track(public, code, pin=new_pin).status_code == 200  # the counter was reset
    if new_pin != old_pin:
        assert track(public, code, pin=old_pin).status_code == 404
    assert track(public, code, t=old_token).status_code == 404
    new_token = r.json()["tracking_url"].split("t=")[1]
    assert track(public, code, t=new_token).status_code == 200
    event = DossierEvent.objects.filter(dossier__code=code).order_by("-seq").first()
    assert event.kind == "pin_reissued" and event.actor_name == BHXH["desk"]
    assert new_pin not in str(event.data)


def test_counters_are_purged_after_their_window(received, api, clock):
    from workflows.services.tracking import counters_purge

    track(
        api(None), received["code"], pin="999999" if received["tracking_pin"] != "999999" else "1"
    )
    assert AccessCounter.objects.count() == 2
    assert counters_purge(at=clock.at + dt.timedelta(seconds=ADDRESS_LIMIT[1] + 1)) == 1
    assert counters_purge(at=clock.at + dt.timedelta(seconds=CODE_LIMIT[1] + 1)) == 1


@pytest.mark.django_db
def test_tracking_needs_no_cache(received, api, settings):
    """The limiter lives in the database: a cache that cannot be reached (Redis
    down) does not break tracking."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    from django.core.cache import caches

    caches._settings = None  # pick up the new setting
    try:
        caches.__init__()
        r = track(api(None), received["code"], pin=received["tracking_pin"])
        assert r.status_code == 200
        r = track(api(None), received["code"], pin=_wrong(received["tracking_pin"]))
        assert r.status_code == 404
    finally:
        caches.__init__()
