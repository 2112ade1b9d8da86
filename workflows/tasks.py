"""Celery tasks (production): the same sweep as ``manage.py sweep``."""

from __future__ import annotations

from celery import shared_task

from config.clock import now


@shared_task(name="workflows.sweep", ignore_result=True)
def sweep() -> dict:
    from workflows.services.escalation import deadlines_sweep

    return deadlines_sweep(now=now())
