"""The escalation ladder: its configuration and the record that each rung
fired (once per dossier or step, enforced by the database)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import Procedure

from .dossiers import Dossier, Handover


class EscalationPolicy(models.Model):
    """Global (no procedure) or for one procedure, which then wins."""

    procedure = models.OneToOneField(
        Procedure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation_policy",
        verbose_name=_("thủ tục (để trống: áp dụng chung)"),
    )
    step_warning_percent = models.PositiveSmallIntegerField(
        _("cảnh báo khi bước đã dùng (%) thời gian"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    apology_lead_hours = models.PositiveSmallIntegerField(
        _("nhắc xin lỗi, hẹn lại trước hạn (giờ làm việc)"),
        default=8,
        help_text=_("Nghị định 118: chậm nhất 1 ngày làm việc trước hạn (8 giờ)."),
    )
    unclaimed_hours = models.PositiveSmallIntegerField(
        _("báo lãnh đạo khi hồ sơ chưa ai nhận sau (giờ làm việc)"), default=4
    )
    supplement_days = models.PositiveSmallIntegerField(
        _("dừng giải quyết khi không bổ sung sau (ngày)"), default=15
    )
    notify_step_warning = models.BooleanField(
        _("báo người xử lý khi sắp hết thời gian bước"), default=True
    )
    notify_step_overdue = models.BooleanField(_("báo khi bước quá hạn"), default=True)
    notify_apology_due = models.BooleanField(_("nhắc xin lỗi, hẹn lại"), default=True)
    notify_dossier_overdue = models.BooleanField(_("báo quản lý khi hồ sơ quá hạn"), default=True)
    notify_unclaimed = models.BooleanField(_("báo lãnh đạo khi chưa ai nhận"), default=True)
    close_unsupplemented = models.BooleanField(_("tự động dừng khi quá hạn bổ sung"), default=True)

    class Meta:
        verbose_name = _("quy tắc cảnh báo")
        verbose_name_plural = pgettext_lazy("plural", "quy tắc cảnh báo")
        constraints = [
            # At most one global policy: a unique index on a constant over the
            # rows without a procedure.
            models.UniqueConstraint(
                Value(1), condition=Q(procedure__isnull=True), name="one_global_escalation_policy"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code}" if self.procedure_id else "Chung"


class Rung(models.TextChoices):
    STEP_WARNING = "step_warning", _("Bước sắp hết thời gian")
    STEP_OVERDUE = "step_overdue", _("Bước quá hạn")
    APOLOGY_DUE = "apology_due", _("Cần xin lỗi và hẹn lại")
    DOSSIER_OVERDUE = "dossier_overdue", _("Hồ sơ quá hạn")
    UNCLAIMED = "unclaimed", _("Chưa ai nhận xử lý")
    SUPPLEMENT_EXPIRED = "supplement_expired", _("Quá hạn bổ sung: dừng giải quyết")


class Escalation(models.Model):
    rung = models.CharField(_("bậc"), max_length=30, choices=Rung.choices)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="escalations")
    handover = models.ForeignKey(
        Handover, on_delete=models.PROTECT, related_name="escalations", null=True, blank=True
    )
    fired_at = models.DateTimeField(_("lúc"))
    recipients = models.JSONField(_("người nhận"), default=list)

    class Meta:
        verbose_name = _("cảnh báo đã phát")
        verbose_name_plural = pgettext_lazy("plural", "cảnh báo đã phát")
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rung", "handover"],
                condition=Q(handover__isnull=False),
                name="escalation_once_per_step",
            ),
            models.UniqueConstraint(
                fields=["rung", "dossier"],
                condition=Q(handover__isnull=True),
                name="escalation_once_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.rung}"
