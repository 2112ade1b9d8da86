"""Celery tasks (production): the same sweep as ``manage.py sweep``."""

from __future__ import annotations

from celery import shared_task

from config.clock import now


@shared_task(name="workflows.sweep", ignore_result=True)
def sweep() -> dict:
    from workflows.services.escalation import deadlines_sweep
    from workflows.services.tracking import counters_purge

    at = now()
    result = deadlines_sweep(now=at)
    counters_purge(at=at)
    return result
