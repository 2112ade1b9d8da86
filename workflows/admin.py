"""Django admin for the workflows app."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from config.clock import now
from config.errors import DomainError
from procedures.selectors import scope_centre_ids
from workflows.models import CalendarOverride, Clock, ClockEvent
from workflows.selectors.calendar import overrides_visible_filter
from workflows.services.calendar import (
    calendar_override_check,
    calendar_override_create,
    calendar_override_delete,
)


class CalendarOverrideForm(forms.ModelForm):
    confirm = forms.BooleanField(
        label="Xác nhận cả tuần không làm việc",
        required=False,
        help_text="Đánh dấu nếu điều chỉnh này cố ý làm cả một tuần không có ngày làm việc.",
    )

    class Meta:
        model = CalendarOverride
        fields = ["date", "kind", "scope", "province", "centre", "reason"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Overrides go through the service: permission, the empty-week guard and
    the recomputation of open due times happen there. To change one, delete it
    and add the new one, so each change is recorded with its reason."""

    form = CalendarOverrideForm
    list_display = ["date", "kind", "scope", "province", "centre", "reason", "created_by"]
    list_filter = ["kind", "scope", "province"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    autocomplete_fields = ["province", "centre"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        condition = overrides_visible_filter(request.user)
        return qs if condition is None else qs.filter(condition)

    def save_model(self, request, obj, form, change):
        result = calendar_override_create(
            actor=request.user,
            at=now(),
            date=obj.date,
            kind=obj.kind,
            scope=obj.scope,
            province=obj.province_id,
            centre=obj.centre.code if obj.centre_id else None,
            reason=obj.reason,
            confirm=form.cleaned_data.get("confirm", False),
        )
        obj.pk = result.override.pk
        messages.info(
            request,
            f"Đã áp dụng cho {result.centres} trung tâm; {result.moved_due_times} hạn xử lý "
            "đang mở được tính lại.",
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class Checked(form_class):
            def clean(inner):
                cleaned = super().clean()
                if inner.errors:
                    return cleaned
                try:
                    calendar_override_check(
                        actor=request.user,
                        at=now(),
                        date=cleaned["date"],
                        kind=cleaned["kind"],
                        scope=cleaned["scope"],
                        province=cleaned["province"].pk if cleaned.get("province") else None,
                        centre=cleaned["centre"].code if cleaned.get("centre") else None,
                        reason=cleaned.get("reason", ""),
                        confirm=cleaned.get("confirm", False),
                    )
                except DomainError as e:
                    raise forms.ValidationError(e.message, code=e.code) from None
                return cleaned

        return Checked

    def delete_model(self, request, obj):
        result = calendar_override_delete(actor=request.user, at=now(), override_id=obj.pk)
        messages.info(request, f"{result.moved_due_times} hạn xử lý đang mở được tính lại.")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ClockEventInline(admin.TabularInline):
    model = ClockEvent
    extra = 0
    can_delete = False
    fields = ["seq", "kind", "at", "reason", "new_due_at", "due_at", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "centre", "budget", "state", "due_at", "extended"]
    list_filter = ["kind", "state"]
    inlines = [ClockEventInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = scope_centre_ids(request.user)
        return qs if ids is None else qs.filter(centre_id__in=ids)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------
# Dossiers: read-only; every change goes through the services.
# ---------------------------------------------------------------------------

from django.urls import reverse  # noqa: E402
from django.utils.formats import date_format  # noqa: E402
from django.utils.html import format_html, format_html_join  # noqa: E402
from django.utils.timezone import localtime  # noqa: E402
from viewflow.workflow.models import Process, Task  # noqa: E402

from procedures.admin import SuperuserWritesMixin  # noqa: E402
from procedures.models import DocumentKind  # noqa: E402
from workflows.models import Dossier, DossierEvent, EscalationPolicy, Handover  # noqa: E402
from workflows.selectors.dossiers import dossiers_visible_to  # noqa: E402
from workflows.templatetags.motcua import time_limit  # noqa: E402
from workflows.views.action_forms import EVENT_LABELS  # noqa: E402
from workflows.views.forms import FORMS  # noqa: E402


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _when(moment) -> str:
    return date_format(localtime(moment), "d/m/Y H:i") if moment else "–"


def _who(user) -> str:
    if user is None:
        return ""
    officer = getattr(user, "officer", None)
    return (officer.full_name if officer is not None else "") or user.get_username()


def _readable(value, depth: int = 0) -> str:
    """JSON as a person reads it: «khóa: giá trị» lines, lists joined."""
    if isinstance(value, dict):
        parts = [f"{k}: {_readable(v, depth + 1)}" for k, v in value.items() if k != "status"]
        return "; ".join(parts) if depth else "\n".join(parts)
    if isinstance(value, list):
        return ", ".join(_readable(v, depth + 1) for v in value) or "–"
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


class HandoverInline(ReadOnlyInline):
    model = Handover
    verbose_name_plural = "Phiếu kiểm soát quá trình giải quyết"
    fields = ["number", "step", "giver", "taker", "handed", "due", "done", "verdict_label", "note"]
    readonly_fields = fields

    @admin.display(description="Số")
    def number(self, h):
        return h.seq

    @admin.display(description="Bước")
    def step(self, h):
        return h.step_name

    @admin.display(description="Bên giao")
    def giver(self, h):
        who = _who(h.from_officer)
        return f"{h.from_unit.name}{' – ' + who if who else ''}"

    @admin.display(description="Bên nhận")
    def taker(self, h):
        who = _who(h.to_officer)
        return f"{h.to_unit.name}{' – ' + who if who else ''}"

    @admin.display(description="Giao lúc")
    def handed(self, h):
        return _when(h.handed_at)

    @admin.display(description="Hạn của bước")
    def due(self, h):
        return _when(h.due_at)

    @admin.display(description="Hoàn thành lúc")
    def done(self, h):
        return _when(h.completed_at)

    @admin.display(description="Kết quả")
    def verdict_label(self, h):
        return h.get_verdict_display() if h.verdict else "–"


class EventInline(ReadOnlyInline):
    model = DossierEvent
    verbose_name_plural = "Lịch sử (chỉ thêm, có chuỗi băm)"
    fields = ["number", "what", "when", "who", "content", "short_hash"]
    readonly_fields = fields

    @admin.display(description="Số")
    def number(self, e):
        return e.seq

    @admin.display(description="Sự kiện")
    def what(self, e):
        return EVENT_LABELS.get(e.kind, e.kind)

    @admin.display(description="Lúc")
    def when(self, e):
        return _when(e.at)

    @admin.display(description="Người thực hiện")
    def who(self, e):
        return "hệ thống" if e.actor_name == "system" else e.actor_name

    @admin.display(description="Nội dung")
    def content(self, e):
        return format_html("<span style='white-space:pre-line'>{}</span>", _readable(e.data or {}))

    @admin.display(description="Mã băm")
    def short_hash(self, e):
        return format_html("<code title='{}'>{}…</code>", e.hash, e.hash[:12])


DOSSIER_FIELDS = [
    "forms",
    "code",
    "centre",
    "procedure",
    "version",
    "agency",
    "reception_unit",
    "channel",
    "status",
    "holder",
    "deadline",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "applicant_email",
    "applicant_address",
    "documents_list",
    "note",
    "submitted_at",
    "received_at",
    "ended_at",
    "returned_at",
    "timeliness",
    "result",
    "return_method",
    "stop_reason",
    "received_by",
    "history_length",
]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "procedure",
        "applicant_name",
        "status",
        "received_at",
        "due",
        "timeliness",
    ]
    list_filter = ["status", "channel", "timeliness", "centre"]
    search_fields = ["code", "applicant_name", "applicant_id_number", "applicant_phone"]
    list_select_related = ["procedure", "clock", "centre"]
    date_hierarchy = "submitted_at"
    inlines = [HandoverInline, EventInline]
    fields = DOSSIER_FIELDS
    readonly_fields = DOSSIER_FIELDS

    @admin.display(description="Hạn hiện tại", ordering="clock_due_at")
    def due(self, obj):
        return _when(obj.clock.due_at) if obj.clock_id and obj.clock.due_at else "–"

    @admin.display(description="Mẫu in")
    def forms(self, obj):
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank">Mẫu {} – {}</a> (<a href="{}" target="_blank">PDF</a>)',
            (
                (
                    reverse("dossier_pages:form", args=[obj.code, no]),
                    no,
                    name,
                    reverse("dossier_pages:form-pdf", args=[obj.code, no]),
                )
                for no, name in FORMS.items()
            ),
        ) or format_html("–")

    @admin.display(description="Đang giữ hồ sơ")
    def holder(self, obj):
        h = obj.current_handover
        if h is None or h.completed_at is not None:
            return "–"
        who = _who(h.to_officer) or "chưa có người nhận"
        return f"{h.step_name} – {h.to_unit.name} – {who} (từ {_when(h.handed_at)})"

    @admin.display(description="Thời hạn")
    def deadline(self, obj):
        clock = obj.clock
        if clock is None:
            return "–"
        state = clock.get_state_display() if hasattr(clock, "get_state_display") else clock.state
        return f"Hẹn trả {_when(clock.due_at)} · thời hạn {time_limit(clock.budget)} · {state}"

    @admin.display(description="Giấy tờ đã nộp")
    def documents_list(self, obj):
        kinds = dict(DocumentKind.choices)
        items = [
            f"{d.get('name', '')} ({str(kinds.get(d.get('kind'), d.get('kind', ''))).lower()}, "
            f"{d.get('quantity', 1)} bộ)"
            for d in (obj.documents or [])
            if isinstance(d, dict)
        ]
        return format_html("<span style='white-space:pre-line'>{}</span>", "\n".join(items) or "–")

    @admin.display(description="Người tiếp nhận")
    def received_by(self, obj):
        return _who(obj.created_by) or "–"

    @admin.display(description="Số sự kiện trong lịch sử")
    def history_length(self, obj):
        return obj.events_count

    def get_queryset(self, request):
        return dossiers_visible_to(request.user).select_related(
            "procedure",
            "clock",
            "centre",
            "current_handover__to_unit",
            "current_handover__to_officer__officer",
            "created_by__officer",
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


# ---------------------------------------------------------------------------
# Escalation rules (README: "Quy tắc cảnh báo"): national settings, so only
# the superuser changes them; everyone with the view permission reads them.
# ---------------------------------------------------------------------------


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(SuperuserWritesMixin, admin.ModelAdmin):
    list_display = [
        "scope",
        "step_warning_percent",
        "apology_lead_hours",
        "unclaimed_hours",
        "supplement_days",
        "close_unsupplemented",
    ]
    autocomplete_fields = ["procedure"]
    search_fields = ["procedure__code", "procedure__name"]

    @admin.display(description="Áp dụng cho", ordering="procedure__code")
    def scope(self, obj):
        return f"{obj.procedure.code} – {obj.procedure.name}" if obj.procedure_id else "Chung"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from workflows.selectors import escalation

        escalation.global_policy(fresh=True)


# viewflow's raw process and task tables are the engine's, not an officer's:
# the dossier above shows them in Vietnamese.
for _model in (Process, Task):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
