"""The escalation ladder, swept "as of" chosen moments with the injected clock.

Dossier 1.001667 (7 working days; handling 36 h, approval 8 h) received Monday
30 November 2026 08:00 at Hạc Thành:
  * unclaimed alarm: 4 working hours after 08:00 Mon → 14:00 Mon;
  * step 1 due: 36 h → Fri 4/12 14:00; its 75 % warning: 27 h → Thu 3/12 11:00;
  * dossier due: Wed 9/12 08:00; apology checkpoint one working day before → Tue 8/12 08:00.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.db import connections

from notifications.models import Notification
from tests.integration.conftest import BHXH, ICT, receipt_body
from workflows.models import Dossier, Escalation, EscalationPolicy
from workflows.services.escalation import deadlines_sweep

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return dt.datetime(2026, 12 if day < 30 else 11, day, hour, minute, tzinfo=ICT)


def fired(rung=None):
    qs = Escalation.objects.all()
    return qs.filter(rung=rung).count() if rung else qs.count()


def users_told(kind):
    ids = Notification.objects.filter(kind=kind).values_list("recipient_user_id", flat=True)
    return sorted(User.objects.filter(pk__in=ids).values_list("username", flat=True))


def sweep(moment):
    result = deadlines_sweep(now=moment)
    return {k: v for k, v in result.items() if v and k != "scanned"}


def test_ladder_fires_each_rung_once_at_its_moment(received, clock, api):
    code = received["code"]
    dossier = Dossier.objects.get(code=code)
    step_clock = dossier.current_handover.clock
    assert dossier.current_handover.unclaimed_alarm_at == at(30, 14)
    assert step_clock.warn_at == at(3, 11) and step_clock.due_at == at(4, 14)
    assert dossier.clock.warn_at == at(8, 8) and dossier.clock.due_at == at(9, 8)

    assert sweep(at(30, 13, 59)) == {}
    assert sweep(at(30, 14)) == {"unclaimed": 1}
    assert users_told("escalation.unclaimed") == [BHXH["leader"]]
    assert sweep(at(30, 14, 30)) == {}

    clock.set(at(30, 15))
    api(BHXH["handler"]).post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
    assert sweep(at(3, 10, 59)) == {}
    assert sweep(at(3, 11)) == {"step_warning": 1}
    assert users_told("escalation.step_warning") == [BHXH["handler"]]
    assert sweep(at(4, 13, 59)) == {}
    assert sweep(at(4, 14)) == {"step_overdue": 1}
    assert users_told("escalation.step_overdue") == sorted([BHXH["handler"], BHXH["leader"]])
    assert sweep(at(8, 7, 59)) == {}
    assert sweep(at(8, 8)) == {"apology_due": 1}
    assert users_told("escalation.apology_due") == sorted([BHXH["desk"], BHXH["leader"]])
    assert sweep(at(9, 8)) == {"dossier_overdue": 1}
    assert users_told("escalation.dossier_overdue") == ["hacthanh.quanly"]
    assert sweep(at(20, 8)) == {}
    assert fired() == 5


def test_a_late_first_sweep_fires_everything_passed_once(received):
    assert sweep(at(21, 8)) == {
        "unclaimed": 1,
        "step_warning": 1,
        "step_overdue": 1,
        "apology_due": 1,
        "dossier_overdue": 1,
    }
    assert sweep(at(22, 8)) == {}


def test_a_paused_dossier_raises_no_alarm_and_an_extension_silences_the_apology(
    received, clock, api
):
    code = received["code"]
    handler = api(BHXH["handler"])
    handler.post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
    handler.post(
        f"/api/v1/dossiers/{code}/request-supplement/",
        {"reason": "Thiếu", "items": ["Giấy ra viện"]},
        format="json",
    )
    assert sweep(at(9, 9)) == {}  # waiting for the citizen: nothing is late
    clock.set(at(10, 8))
    api(BHXH["desk"]).post(f"/api/v1/dossiers/{code}/supplement/", {}, format="json")
    api(BHXH["leader"]).post(
        f"/api/v1/dossiers/{code}/extend/",
        {"reason": "Xác minh", "new_due_at": "2027-01-05T08:00:00+07:00"},
        format="json",
    )
    assert "apology_due" not in sweep(dt.datetime(2027, 1, 4, 9, 0, tzinfo=ICT))


def test_supplement_not_brought_in_fifteen_days_closes_and_tells_the_citizen(received, clock, api):
    code = received["code"]
    handler = api(BHXH["handler"])
    handler.post(f"/api/v1/dossiers/{code}/claim/", {}, format="json")
    handler.post(
        f"/api/v1/dossiers/{code}/request-supplement/",
        {"reason": "Thiếu", "items": ["Giấy ra viện"]},
        format="json",
    )
    assert sweep(at(15, 7)) == {}
    assert sweep(at(15, 8)) == {"supplement_expired": 1}
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == "closed"
    told = Notification.objects.filter(kind="closed", recipient_kind="citizen").get()
    assert told.citizen_phone == "0912345678" and code in told.title
    assert sweep(at(16, 8)) == {}


def test_policy_per_procedure_wins_over_the_global_one(demo, clock, api):
    from procedures.models import Procedure

    EscalationPolicy.objects.create(unclaimed_hours=2)
    EscalationPolicy.objects.create(
        procedure=Procedure.objects.get(code="1.001667"), notify_unclaimed=False
    )
    code = api(BHXH["desk"]).post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"]
    assert Dossier.objects.get(code=code).current_handover.unclaimed_alarm_at is None
    assert "unclaimed" not in sweep(at(30, 16))
    other = api("hacthanh.motcua").post(
        "/api/v1/dossiers/", receipt_body(procedure="1.004873"), format="json"
    )
    assert other.status_code == 201, other.json()
    # the global policy: 2 working hours after 08:00 → 10:00
    assert Dossier.objects.get(code=other.json()["code"]).current_handover.unclaimed_alarm_at == (
        at(30, 10)
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_fire_each_rung_once(demo, clock, api):
    desk = api(BHXH["desk"])
    for _ in range(6):
        assert desk.post("/api/v1/dossiers/", receipt_body(), format="json").status_code == 201
    moment = at(21, 8)
    barrier = threading.Barrier(2)

    def run(_):
        try:
            barrier.wait()
            return deadlines_sweep(now=moment)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, range(2)))
    total = {k: results[0][k] + results[1][k] for k in results[0] if k != "scanned"}
    assert total["unclaimed"] == 6 and total["step_overdue"] == 6
    assert total["apology_due"] == 6 and total["dossier_overdue"] == 6
    assert fired() == 6 * 5
    assert Notification.objects.filter(kind="escalation.dossier_overdue").count() == 6
    assert deadlines_sweep(now=moment)["scanned"] == 0
