"""The limiter of public PIN guesses, in the database.

It lives in the database (not the cache) so that tracking keeps working, and
keeps limiting, while Redis is down; both modes (SQLite, PostgreSQL) share it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccessCounter(models.Model):
    """Failed PIN attempts for one key — ``addr:<client address>`` or
    ``code:<dossier code>`` — in the window that ends at ``expires`` (Unix
    seconds). A failure after the window starts a new one."""

    key = models.CharField(_("khóa"), max_length=200, primary_key=True)
    failures = models.PositiveIntegerField(_("số lần sai"), default=0)
    expires = models.BigIntegerField(_("hết hạn (giây Unix)"), db_index=True)

    class Meta:
        verbose_name = _("bộ đếm tra cứu sai")
        verbose_name_plural = pgettext_lazy("plural", "bộ đếm tra cứu sai")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
