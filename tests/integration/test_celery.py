"""The production background setup: Celery runs the same services."""

from __future__ import annotations

import pytest

from config.celery import app

pytestmark = pytest.mark.django_db


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    app.autodiscover_tasks(["workflows", "notifications"], force=True)
    registered = set(app.tasks)
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in registered, entry
    assert {
        "workflows.sweep",
        "notifications.tasks.deliver",
        "notifications.tasks.deliver_pending",
    } <= registered


def test_the_sweep_task_runs_the_deadline_sweep(received, clock):
    import datetime as dt

    from tests.integration.conftest import ICT
    from workflows.models import Escalation

    clock.set(dt.datetime(2026, 12, 21, 8, 0, tzinfo=ICT))
    result = app.tasks["workflows.sweep"].apply().get()
    assert result["dossier_overdue"] == 1 and result["unclaimed"] == 1
    assert Escalation.objects.count() == 5
    assert app.tasks["workflows.sweep"].apply().get()["dossier_overdue"] == 0
