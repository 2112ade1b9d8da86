"""Scope is the rule for every role, administrators included (issue 8, point 2):
the dossier API, the forms, the overrides and the admin show an officer only
what the centres of their scope hold; outside it is a 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tests.integration.conftest import receipt_body
from workflows.models import CalendarOverride

SAMSON_DESK = "samson.bhxh.motcua"


def login(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


@pytest.fixture
def elsewhere(received, api):
    """A dossier received at Sầm Sơn, beside the Hạc Thành one."""
    r = api(SAMSON_DESK).post("/api/v1/dossiers/", receipt_body(centre="16531"), format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_a_centre_administrator_sees_only_its_centres_dossiers(received, elsewhere):
    administrator = login("hacthanh.quantri")
    listed = administrator.get("/api/v1/dossiers/").json()
    assert [d["code"] for d in listed["results"]] == [received["code"]]
    assert administrator.get(f"/api/v1/dossiers/{elsewhere['code']}/").status_code == 404
    # the superuser sees both
    assert login("admin").get("/api/v1/dossiers/").json()["count"] == 2


def test_out_of_scope_is_404_for_reads_actions_and_forms(received, elsewhere):
    code = elsewhere["code"]
    for username in ("hacthanh.quantri", "hacthanh.quanly", "hacthanh.bhxh.motcua"):
        client = login(username)
        assert client.get(f"/api/v1/dossiers/{code}/").status_code == 404
        r = client.post(f"/api/v1/dossiers/{code}/withdraw/", {"reason": "x"}, format="json")
        assert r.status_code == 404 and r.json()["error"] == "unknown_dossier"
        page = Client()
        page.force_login(User.objects.get(username=username))
        for form in ("01", "06"):
            assert page.get(f"/dossiers/{code}/forms/{form}/").status_code == 404
    # the same answer as a code that does not exist: nothing to probe
    unknown = login("hacthanh.quantri").get("/api/v1/dossiers/38.16531-261130-0999/")
    mine = login("hacthanh.quantri").get(f"/api/v1/dossiers/{code}/")
    assert unknown.json()["error"] == mine.json()["error"] == "unknown_dossier"


def test_admin_dossier_list_is_scoped(received, elsewhere):
    client = Client()
    client.force_login(User.objects.get(username="hacthanh.quantri"))
    page = client.get("/admin/workflows/dossier/")
    assert page.status_code == 200
    codes = set(page.context["cl"].queryset.values_list("code", flat=True))
    assert codes == {received["code"]}


def _override(client, **body):
    base = {"date": "2026-12-10", "kind": "day_off", "scope": "centre", "reason": "Sửa chữa"}
    return client.post("/api/v1/calendar/overrides/", {**base, **body}, format="json")


def test_overrides_are_scoped_for_administrators(demo):
    administrator = login("hacthanh.quantri")
    assert _override(administrator, centre="16531").status_code == 403
    assert _override(administrator, scope="nation").status_code == 403
    assert _override(administrator, scope="province", province="38").status_code == 403
    assert not CalendarOverride.objects.exists()
    assert _override(administrator, centre="14797").status_code == 201
    theirs = _override(login("samson.quanly"), centre="16531")
    assert theirs.status_code == 201
    national = _override(login("admin"), scope="nation", date="2026-12-11")
    assert national.status_code == 201
    listed = {o["id"] for o in administrator.get("/api/v1/calendar/overrides/").json()}
    assert theirs.json()["id"] not in listed and national.json()["id"] in listed
    other = theirs.json()["id"]
    assert administrator.get(f"/api/v1/calendar/overrides/{other}/").status_code == 404
    assert administrator.delete(f"/api/v1/calendar/overrides/{other}/").status_code == 404
    assert CalendarOverride.objects.filter(pk=other).exists()
    # the nation's override concerns everyone but only the superuser removes it
    assert (
        administrator.delete(f"/api/v1/calendar/overrides/{national.json()['id']}/").status_code
        == 403
    )


def test_a_province_scope_may_change_its_provinces_calendar(demo):
    officer = User.objects.get(username="samson.quanly").officer
    officer.province_scope_id = "38"
    officer.save()
    manager = login("samson.quanly")
    assert _override(manager, scope="province", province="38").status_code == 201
    assert _override(manager, centre="15271", date="2026-12-14").status_code == 201
    assert _override(manager, scope="province", province="01", date="2026-12-15").status_code == 403
