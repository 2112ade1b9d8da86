"""Project configuration. Importing Celery here makes ``shared_task`` bind to
the project's app in every process (Django's recommended layout)."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
