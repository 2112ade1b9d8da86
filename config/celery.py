"""Celery application (production background work; Redis broker).

Run a worker: ``celery -A config worker -l info``; the beat schedule is added
with the deadline sweep.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("motcua")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
