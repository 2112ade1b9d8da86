"""What the reports keep: who looked at whose figures (the officer sees it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureView(models.Model):
    """One look by ``viewer`` at another officer's accountability figures.
    Append-only; the officer looked at reads their own entries."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người xem"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cán bộ được xem"),
    )
    at = models.DateTimeField(_("lúc"))
    what = models.CharField(_("trang"), max_length=300)

    class Meta:
        verbose_name = _("lượt xem số liệu cán bộ")
        verbose_name_plural = _("nhật ký xem số liệu cán bộ")
        indexes = [models.Index(fields=["subject", "-at"], name="figureview_subject_idx")]

    def __str__(self) -> str:
        return f"{self.viewer_id} → {self.subject_id} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The access log is append-only.")


#: The dimensions of a day row, its unique key (``reports.counters`` upserts on it).
DAYCOUNT_KEY = (
    "day",
    "kind",
    "centre_id",
    "agency_id",
    "procedure_id",
    "unit_id",
    "officer_id",
    "channel",
    "outcome",
    "verdict",
    "verdict_766",
    "extra",
)


class DayCount(models.Model):
    """Per-day counts kept in the same transaction as the events that change
    them (``reports.counters``), so the dashboard sums days instead of
    scanning dossiers. ``manage.py stats_verify`` recomputes them from the
    dossiers, their control sheets and ledgers and reports any difference.

    Dimensions are plain ids (0 for "none") so that the unique key — and the
    upsert that adds to a row — never meets a NULL."""

    day = models.DateField()
    kind = models.CharField(max_length=20)  # a kind, or a kind + ":m" for its month rows
    centre_id = models.IntegerField()
    agency_id = models.IntegerField()
    procedure_id = models.IntegerField()
    unit_id = models.IntegerField(default=0)
    officer_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=20, default="")
    outcome = models.CharField(max_length=20, default="")
    verdict = models.CharField(max_length=10, default="")
    verdict_766 = models.CharField(max_length=10, default="")
    extra = models.CharField(max_length=20, default="")
    n = models.IntegerField(default=0)
    seconds = models.BigIntegerField(default=0)
    budget_seconds = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu theo ngày")
        verbose_name_plural = _("số liệu theo ngày")
        constraints = [
            models.UniqueConstraint(
                fields=list(DAYCOUNT_KEY),
                name="daycount_key",
            )
        ]
        indexes = [
            models.Index(fields=["kind", "centre_id", "day"], name="daycount_centre_idx"),
            models.Index(fields=["kind", "agency_id", "day"], name="daycount_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} c{self.centre_id} n={self.n}"
