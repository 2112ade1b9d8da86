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
from django.utils.html import format_html, format_html_join  # noqa: E402

from workflows.models import Dossier, DossierEvent, Handover  # noqa: E402
from workflows.selectors.dossiers import dossiers_visible_to  # noqa: E402
from workflows.views.forms import FORMS  # noqa: E402


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HandoverInline(ReadOnlyInline):
    model = Handover
    verbose_name_plural = "Phiếu kiểm soát quá trình giải quyết"
    fields = [
        "seq",
        "step_name",
        "from_unit",
        "from_officer",
        "to_unit",
        "to_officer",
        "handed_at",
        "due_at",
        "completed_at",
        "verdict",
        "note",
    ]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = DossierEvent
    verbose_name_plural = "Lịch sử (chỉ thêm, có chuỗi băm)"
    fields = ["seq", "kind", "at", "actor_name", "data", "hash"]
    readonly_fields = fields


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
    exclude = ["tracking_pin_hash", "request_fingerprint", "last_hash", "route", "process"]
    readonly_fields = ["forms"]

    @admin.display(description="Hạn hiện tại", ordering="clock__due_at")
    def due(self, obj):
        return obj.clock.due_at if obj.clock_id else None

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

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name not in self.exclude]
        return ["forms", *names]

    def get_queryset(self, request):
        return dossiers_visible_to(request.user).select_related("procedure", "clock", "centre")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
