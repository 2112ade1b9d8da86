"""The deadline ledger: a budget plus append-only clock events.

A clock belongs to a dossier (its legal time limit) or to one step of it (the
step's own budget). Everything a user sees — the current due time, the time
used, left and paused — is folded from the events by ``workflows.ledger``;
the columns on ``Clock`` are a cache of that fold, kept for indexed queries
(the deadline sweep), and rewritten only by the service that appends events.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import ServiceCentre


class ClockKind(models.TextChoices):
    DOSSIER = "dossier", _("Hồ sơ")
    STEP = "step", _("Bước xử lý")


class ClockState(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa tính")
    RUNNING = "running", _("Đang tính")
    PAUSED = "paused", _("Tạm dừng")
    ENDED = "ended", _("Đã kết thúc")


class ClockEventKind(models.TextChoices):
    START = "start", _("Bắt đầu tính thời gian")
    PAUSE = "pause", _("Tạm dừng (chờ công dân)")
    RESUME = "resume", _("Tiếp tục")
    RESTART = "restart", _("Tính lại từ đầu")
    EXTEND = "extend", _("Gia hạn (hẹn lại)")
    END = "end", _("Kết thúc")
    RECALCULATE = "recalculate", _("Tính lại do thay đổi lịch")


class Clock(models.Model):
    kind = models.CharField(_("loại"), max_length=10, choices=ClockKind.choices)
    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.PROTECT, related_name="+", verbose_name=_("trung tâm")
    )
    budget = models.CharField(
        _("thời hạn"), max_length=20, help_text=_("ISO 8601 thời gian làm việc: P3D, PT8H")
    )
    # --- cache of the fold, for indexed queries -----------------------------------
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=ClockState.choices, default=ClockState.NOT_STARTED
    )
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    first_due_at = models.DateTimeField(_("hạn ban đầu"), null=True, blank=True)
    appointment_due_at = models.DateTimeField(_("hạn (không tính gia hạn)"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn hiện tại"), null=True, blank=True)
    ended_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    extended = models.BooleanField(_("đã gia hạn"), default=False)
    events_count = models.PositiveIntegerField(default=0)
    # --- escalation checkpoints --------------------------------------------------
    #: Working seconds before the due time at which to warn (a step: 25% of its
    #: budget, i.e. 75% used; a dossier: one working day before its appointment).
    warn_before_seconds = models.PositiveIntegerField(default=0)
    warn_at = models.DateTimeField(null=True, blank=True)
    warn_fired = models.BooleanField(default=False)
    due_fired = models.BooleanField(default=False)
    #: The earliest checkpoint not yet fired while the clock runs; the sweep
    #: reads only clocks whose alarm is due (partial index), so its cost
    #: follows what is due, not how many dossiers are open.
    alarm_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("đồng hồ thời hạn")
        verbose_name_plural = pgettext_lazy("plural", "đồng hồ thời hạn")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="clock_open_due_idx",
                condition=models.Q(state="running"),
            ),
            models.Index(fields=["centre", "state"], name="clock_centre_state_idx"),
            models.Index(
                fields=["alarm_at"],
                name="clock_alarm_idx",
                condition=models.Q(alarm_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        from django.utils.formats import date_format
        from django.utils.timezone import localtime

        due = date_format(localtime(self.due_at), "d/m/Y H:i") if self.due_at else "–"
        return f"{self.get_kind_display()} #{self.pk}: {self.budget}, hạn {due}"


class ClockEvent(models.Model):
    """One append-only entry of a clock's ledger."""

    clock = models.ForeignKey(
        Clock, on_delete=models.PROTECT, related_name="events", verbose_name=_("đồng hồ")
    )
    seq = models.PositiveIntegerField(_("thứ tự"))
    kind = models.CharField(_("loại"), max_length=20, choices=ClockEventKind.choices)
    at = models.DateTimeField(_("thời điểm"))
    reason = models.CharField(_("lý do"), max_length=500, blank=True)
    new_due_at = models.DateTimeField(_("hạn mới đề nghị"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn sau sự kiện"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người thực hiện"),
    )

    class Meta:
        verbose_name = _("sự kiện thời hạn")
        verbose_name_plural = _("sổ thời hạn")
        ordering = ["clock", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "seq"], name="clock_event_seq_unique"),
        ]

    def __str__(self) -> str:
        from django.utils.formats import date_format
        from django.utils.timezone import localtime

        return (
            f"{self.clock_id}#{self.seq} {self.kind} {date_format(localtime(self.at), 'd/m/Y H:i')}"
        )
