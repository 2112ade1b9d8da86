"""Concurrent actions on PostgreSQL: row locks make exactly one winner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.db import connections

from config.errors import DomainError
from procedures.models import Role, ServiceCentre, Unit
from procedures.services import officer_upsert
from tests.integration.conftest import BHXH
from workflows.models import Dossier, DossierSequence
from workflows.services import handling, intake

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPLICANT = intake.Applicant("Nguyễn Viết Anh", "038090001234", "0912345678")


def _in_thread(fn):
    """Run ``fn`` in a worker thread with its own connection, closed after."""

    def run(*args):
        try:
            return fn(*args)
        except DomainError as e:
            return e
        finally:
            connections.close_all()

    return run


def _race(calls):
    """Start every call at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def go(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(_in_thread(go), calls))


@pytest.fixture
def second_handler(demo):
    unit = Unit.objects.get(agency__code="bhxh-14797", code="nghiep-vu")
    officer_upsert(
        username="hacthanh.bhxh.chuyenvien2",
        full_name="Lê Văn Bình",
        email="",
        phone="",
        role=Role.HANDLER,
        unit=unit,
        centres=[ServiceCentre.objects.get(code="14797")],
        password="matkhau-123",
    )
    return User.objects.get(username="hacthanh.bhxh.chuyenvien2")


def _receive():
    desk = User.objects.get(username=BHXH["desk"])
    return intake.dossier_receive(
        actor=desk, procedure="1.001667", centre="14797", channel="in_person", applicant=APPLICANT
    ).dossier.code


def test_two_officers_claiming_at_once_exactly_one_wins(demo, second_handler):
    code = _receive()
    first = User.objects.get(username=BHXH["handler"])
    for _ in range(5):  # repeat: a race that passes once by luck should not pass five times
        results = _race(
            [
                lambda code=code: handling.dossier_claim(actor=first, code=code),
                lambda code=code: handling.dossier_claim(actor=second_handler, code=code),
            ]
        )
        winners = [r for r in results if isinstance(r, Dossier)]
        losers = [r for r in results if isinstance(r, DomainError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert losers[0].status == 409 and losers[0].code == "task_already_claimed"
        dossier = Dossier.objects.get(code=code)
        assert dossier.current_handover.task.owner_id == winners[0].current_handover.to_officer_id
        assert dossier.events.filter(kind="claimed").count() == 1
        code = _receive()


def test_two_advances_at_once_exactly_one_wins(demo):
    code = _receive()
    handler = User.objects.get(username=BHXH["handler"])
    handling.dossier_claim(actor=handler, code=code)
    results = _race([lambda: handling.dossier_advance(actor=handler, code=code) for _ in range(2)])
    winners = [r for r in results if isinstance(r, Dossier)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].status == 409
    dossier = Dossier.objects.get(code=code)
    assert dossier.handovers.count() == 2
    assert dossier.events.filter(kind="advanced").count() == 1


def test_fifty_concurrent_receipts_get_fifty_distinct_codes(demo):
    desk = User.objects.get(username=BHXH["desk"])
    barrier = threading.Barrier(10)

    def receive(i):
        if i < 10:
            barrier.wait()
        return intake.dossier_receive(
            actor=desk,
            procedure="1.001667",
            centre="14797",
            channel="in_person",
            applicant=APPLICANT,
        ).dossier.code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(_in_thread(receive), range(50)))
    assert all(isinstance(c, str) for c in codes), codes
    assert len(set(codes)) == 50
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, 51))
    assert DossierSequence.objects.get().last == 50
    assert Dossier.objects.count() == 50
