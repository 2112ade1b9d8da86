"""Celery application for production background work (Redis broker).

    celery -A config worker -l info        # deliveries (e-mail, SMS, retries) and sweeps
    celery -A config beat -l info          # the schedule below (run exactly one beat)

In the embedded default (no REDIS_URL) tasks run eagerly and ``manage.py
sweep --every 30`` (started by ``make run``) does the same work.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("motcua")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workflows", "notifications"])

app.conf.beat_schedule = {
    "deadline-sweep": {"task": "workflows.sweep", "schedule": 30.0},
    # The outbox is the queue: requests publish nothing, e-mail and SMS wait
    # here (due at once) and are sent within about 5 s.
    "deliver-pending-notifications": {
        "task": "notifications.tasks.deliver_pending",
        "schedule": 5.0,
    },
}
# The signed history anchor (workflows.services.anchors). Read from the
# environment like settings.HISTORY_ANCHOR_EVERY: this module is imported
# before the settings are.
_anchor_every = float(os.environ.get("HISTORY_ANCHOR_EVERY", "3600"))
if _anchor_every > 0:
    app.conf.beat_schedule["history-anchor"] = {
        "task": "workflows.history_anchor",
        "schedule": _anchor_every,
    }
app.conf.task_acks_late = True
app.conf.worker_prefetch_multiplier = 1
