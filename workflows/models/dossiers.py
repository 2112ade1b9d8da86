"""Dossiers and everything recorded about them.

A dossier's ``status`` is written only through the ``viewflow.fsm`` machine in
``workflows.lifecycle``; the rows hanging off a dossier (handovers, supplement
requests, the extension, history events) are appended by services and never
rewritten — except a handover's completion and a supplement request's
completion, which fill in fields that were empty.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.workflow.models import Process, Task

from procedures.models import (
    Agency,
    Channel,
    Procedure,
    ProcedureVersion,
    ServiceCentre,
    Unit,
)

from .deadlines import Clock, ClockState


class DossierStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Chờ tiếp nhận")
    RECEIVED = "received", _("Đã tiếp nhận")
    IN_PROGRESS = "in_progress", _("Đang giải quyết")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Chờ bổ sung")
    RESULT_READY = "result_ready", _("Đã có kết quả")
    RETURNED = "returned", _("Đã trả kết quả")
    REFUSED = "refused", _("Từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    CLOSED = "closed", _("Dừng giải quyết")


FINAL_STATUSES = {
    DossierStatus.RETURNED,
    DossierStatus.REFUSED,
    DossierStatus.WITHDRAWN,
    DossierStatus.CLOSED,
}
#: Statuses in which processing has ended (Decision 766: NgayKetThucXuLy is set).
ENDED_STATUSES = FINAL_STATUSES | {DossierStatus.RESULT_READY}


class Timeliness(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Quá hạn")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("Tại quầy")
    POST = "post", _("Qua bưu chính")
    ELECTRONIC = "electronic", _("Trực tuyến")


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("trung tâm"),
    )
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("thủ tục")
    )
    version = models.ForeignKey(
        ProcedureVersion,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("phiên bản thủ tục áp dụng"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("cơ quan giải quyết"),
    )
    reception_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("bộ phận tiếp nhận")
    )
    channel = models.CharField(_("kênh"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("trạng thái"),
        max_length=30,
        choices=DossierStatus.choices,
        default=DossierStatus.SUBMITTED,
        db_index=True,
    )
    status_before_supplement = models.CharField(max_length=30, blank=True)

    applicant_name = models.CharField(_("họ tên người nộp"), max_length=150)
    #: ``fold(applicant_name)``: lower case, no diacritics, for accent-insensitive search.
    applicant_name_folded = models.CharField(max_length=150, blank=True, editable=False)
    applicant_id_number = models.CharField(_("số định danh cá nhân"), max_length=12)
    applicant_phone = models.CharField(_("điện thoại"), max_length=15)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    documents = models.JSONField(_("giấy tờ đã nộp"), default=list, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    submitted_at = models.DateTimeField(_("nộp lúc"))
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    ended_at = models.DateTimeField(_("kết thúc xử lý lúc"), null=True, blank=True)
    returned_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("người tiếp nhận"),
    )

    clock = models.OneToOneField(
        Clock,
        on_delete=models.PROTECT,
        related_name="dossier",
        null=True,
        blank=True,
        verbose_name=_("thời hạn"),
    )
    process = models.OneToOneField(
        Process, on_delete=models.PROTECT, related_name="dossier", null=True, blank=True
    )
    current_handover = models.OneToOneField(
        "Handover", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    #: Copies of the dossier clock's due and warning times, and whether it runs
    #: while processing has not ended, written with the dossier (``mirror_clock``)
    #: so that the inbox filters and sorts on this table's indexes alone: a join
    #: to the clock cannot be read in due order at a million dossiers.
    clock_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    clock_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    clock_running = models.BooleanField(default=False, editable=False)
    #: The steps and performing units resolved at receipt from the procedure
    #: version in force: [{order, name, role, budget_hours, unit}], then the
    #: return step at the desk. The flow walks it; it never changes afterwards.
    route = models.JSONField(default=list, blank=True)
    #: The escalation policy in force at receipt (see EscalationPolicy).
    policy = models.JSONField(default=dict, blank=True)
    current_step = models.PositiveSmallIntegerField(default=0)

    timeliness = models.CharField(
        _("kết quả đúng hạn"), max_length=10, choices=Timeliness.choices, blank=True
    )
    #: Decision 766's reading of the end (``workflows.services.outcomes``),
    #: written with ``ended_at``: the waiting for the citizen subtracted rather
    #: than the clock restarted, and a second supplement request counted late.
    verdict_766 = models.CharField(
        _("đúng hạn (QĐ 766)"), max_length=10, choices=Timeliness.choices, blank=True
    )
    elapsed_766_seconds = models.PositiveIntegerField(
        _("thời gian giải quyết (giây làm việc, QĐ 766)"), null=True, blank=True
    )
    #: how many times the end time was corrected (``end_corrected`` events)
    corrections = models.PositiveSmallIntegerField(default=0, editable=False)
    result = models.CharField(_("kết quả"), max_length=500, blank=True)
    return_method = models.CharField(
        _("hình thức trả"), max_length=20, choices=ReturnMethod.choices, blank=True
    )
    stop_reason = models.CharField(_("lý do dừng/từ chối/rút"), max_length=1000, blank=True)

    tracking_pin_hash = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    events_count = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    last_mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "hồ sơ")
        ordering = ["-submitted_at", "-pk"]
        permissions = [
            ("receive_dossier", _("Tiếp nhận, trả kết quả hồ sơ")),
            ("handle_dossier", _("Xử lý hồ sơ")),
            ("approve_dossier", _("Phê duyệt hồ sơ")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dossier_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(applicant_id_number__regex=r"^[0-9]{12}$"),
                name="dossier_id_number_12_digits",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "status"], name="dossier_centre_status_idx"),
            models.Index(fields=["agency", "status"], name="dossier_agency_status_idx"),
            # the inbox: a scope's dossiers in due order, and its running ones
            models.Index(
                fields=["centre", "clock_warn_at"],
                name="dossier_centre_warn_idx",
                condition=models.Q(clock_running=True),
            ),
            models.Index(
                fields=["agency", "clock_warn_at"],
                name="dossier_agency_warn_idx",
                condition=models.Q(clock_running=True),
            ),
            models.Index(fields=["centre", "ended_at"], name="dossier_centre_ended_idx"),
            models.Index(fields=["agency", "ended_at"], name="dossier_agency_ended_idx"),
            models.Index(fields=["centre", "clock_due_at", "id"], name="dossier_centre_due_idx"),
            models.Index(fields=["agency", "clock_due_at", "id"], name="dossier_agency_due_idx"),
            models.Index(
                fields=["centre", "clock_due_at", "id"],
                name="dossier_centre_running_idx",
                condition=Q(clock_running=True),
            ),
            models.Index(
                fields=["agency", "clock_due_at", "id"],
                name="dossier_agency_running_idx",
                condition=Q(clock_running=True),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        from workflows.folding import fold

        self.applicant_name_folded = fold(self.applicant_name)[:150]
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.mirror_clock()
        elif "applicant_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "applicant_name_folded"}
        super().save(*args, **kwargs)

    def mirror_clock(self) -> None:
        """Copy the clock's cached due and warning times onto the dossier
        (``save_dossier`` calls it before it works out what changed)."""
        clock = self.clock if self.clock_id else None
        self.clock_due_at = clock.due_at if clock is not None else None
        self.clock_warn_at = clock.warn_at if clock is not None else None
        self.clock_running = (
            clock is not None
            and clock.state == ClockState.RUNNING
            and self.status not in ENDED_STATUSES
        )


class DossierSequence(models.Model):
    """The last number given at a centre on a day (Decree 118, Art. 28)."""

    centre = models.ForeignKey(ServiceCentre, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "day"], name="one_sequence_per_centre_day")
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day.isoformat()} #{self.last}"


class SupplementStage(models.TextChoices):
    RECEPTION = "reception", _("Khi tiếp nhận")
    APPRAISAL = "appraisal", _("Sau thẩm định")


class SupplementRequest(models.Model):
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="supplement_requests"
    )
    stage = models.CharField(_("giai đoạn"), max_length=20, choices=SupplementStage.choices)
    reason = models.CharField(_("lý do"), max_length=1000)
    items = models.JSONField(_("giấy tờ cần bổ sung"), default=list)
    requested_at = models.DateTimeField(_("yêu cầu lúc"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    deadline = models.DateTimeField(_("hạn bổ sung"))
    within_three_working_days = models.BooleanField(null=True)
    completed_at = models.DateTimeField(_("bổ sung lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("dừng do không bổ sung lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu bổ sung")
        verbose_name_plural = pgettext_lazy("plural", "yêu cầu bổ sung")
        ordering = ["dossier", "requested_at", "pk"]
        indexes = [
            models.Index(
                fields=["deadline"],
                name="supplement_open_deadline_idx",
                condition=Q(completed_at__isnull=True, closed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.get_stage_display()} {self.requested_at:%d/%m/%Y}"


class Extension(models.Model):
    """The one apology and new appointment (Decree 118, Art. 19(6))."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="extension")
    reason = models.CharField(_("lý do"), max_length=1000)
    previous_due_at = models.DateTimeField(_("hạn cũ"))
    new_due_at = models.DateTimeField(_("hạn mới"))
    requested_at = models.DateTimeField(_("lúc"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    timely = models.BooleanField(
        _("trước hạn ít nhất 1 ngày làm việc"),
        help_text=_("Văn bản xin lỗi phải được ban hành trước hạn ít nhất 1 ngày làm việc."),
    )

    class Meta:
        verbose_name = _("văn bản xin lỗi và hẹn lại")
        verbose_name_plural = pgettext_lazy("plural", "văn bản xin lỗi và hẹn lại")

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_due_at:%d/%m/%Y %H:%M}"


class Handover(models.Model):
    """One row of the handover control sheet (Circular 03/2025, form 06):
    ``from`` handed the dossier to ``to`` at ``handed_at``; ``to`` had until
    ``due_at`` for its step and completed it at ``completed_at``."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="handovers")
    seq = models.PositiveSmallIntegerField()
    step_order = models.PositiveSmallIntegerField(help_text=_("0 = trả kết quả"))
    step_name = models.CharField(_("bước"), max_length=200)
    step_role = models.CharField(max_length=20)
    budget_hours = models.DecimalField(max_digits=6, decimal_places=2)
    from_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    from_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    to_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    handed_at = models.DateTimeField(_("giao lúc"))
    claimed_at = models.DateTimeField(_("nhận xử lý lúc"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn của bước"), null=True)
    completed_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    verdict = models.CharField(max_length=10, choices=Timeliness.choices, blank=True)
    #: working seconds the step's own clock ran (its ledger, written at completion)
    used_seconds = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=1000, blank=True)
    clock = models.OneToOneField(Clock, on_delete=models.PROTECT, related_name="handover")
    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="handover", null=True)
    #: When an unclaimed step has waited long enough in the unit's queue to
    #: alert the unit's leader; cleared once claimed, completed or alerted.
    unclaimed_alarm_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bàn giao")
        verbose_name_plural = _("phiếu kiểm soát quá trình giải quyết")
        ordering = ["dossier", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="handover_seq_unique"),
        ]
        indexes = [
            models.Index(
                fields=["to_unit", "handed_at"],
                name="handover_open_queue_idx",
                condition=Q(completed_at__isnull=True),
            ),
            models.Index(
                fields=["to_officer"],
                name="handover_open_officer_idx",
                condition=Q(completed_at__isnull=True),
            ),
            models.Index(
                fields=["unclaimed_alarm_at"],
                name="handover_unclaimed_alarm_idx",
                condition=Q(unclaimed_alarm_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.step_name}"


class DossierEvent(models.Model):
    """The dossier's history: append-only, hash-chained and keyed.

    ``hash = sha256(prev_hash + canonical_json({seq, kind, at, actor, data}))``
    is the public chain: anyone can recompute it, so rewriting an event breaks
    every later hash — unless the writer recomputes them all. ``mac =
    HMAC(history key, prev_mac + canonical + hash)`` closes that: without the
    key (kept outside the database) no re-chain or appended row verifies.
    ``key_id`` names the key (its fingerprint). Rows written before the key
    existed have an empty ``mac`` ("legacy, unkeyed"). On PostgreSQL triggers
    refuse UPDATE, DELETE and TRUNCATE on this table.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    actor_name = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, blank=True, default="")
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("sự kiện hồ sơ")
        verbose_name_plural = _("lịch sử hồ sơ")
        ordering = ["dossier", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="dossier_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"Sự kiện {self.seq}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Dossier history is append-only: events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Dossier history is append-only: events are never deleted.")


class RatingScore(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    DISSATISFIED = "dissatisfied", _("Không hài lòng")


class Rating(models.Model):
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="rating")
    score = models.CharField(max_length=20, choices=RatingScore.choices)
    comment = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("đánh giá")
        verbose_name_plural = pgettext_lazy("plural", "đánh giá")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.score}"
