"""Celery tasks (production). The beat schedule in config/celery.py runs
``deliver_pending`` every 5 s: it sends the e-mail and SMS that ``notify``
left due (no request publishes to the broker) and retries what failed.
``deliver`` sends named deliveries now (kept for callers outside requests)."""

from __future__ import annotations

from celery import shared_task

from config.clock import now
from notifications import services


@shared_task(ignore_result=True)
def deliver(ids: list[int]) -> dict[str, int]:
    """Attempt these deliveries now (the e-mail and SMS of a fresh notification)."""
    return services.deliver([int(i) for i in ids])


@shared_task(ignore_result=True)
def deliver_pending() -> dict[str, int]:
    """Send every delivery that is due, retrying what failed before; mark
    what no longer matters expired."""
    return services.deliveries_run(now=now())
