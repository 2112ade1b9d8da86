"""Celery tasks (production): the same sweep as ``manage.py sweep``, and the
history anchor it writes every ``HISTORY_ANCHOR_EVERY`` seconds."""

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


@shared_task(name="workflows.history_anchor", ignore_result=True)
def history_anchor() -> dict:
    """Beat runs this every HISTORY_ANCHOR_EVERY seconds (config/celery.py)."""
    from workflows.services.anchors import anchor_write

    written = anchor_write(at=now())
    return {"seq": written.seq, "changed": written.changed, "disputed": len(written.disputed)}
