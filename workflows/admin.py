"""Django admin for the workflows app."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from config.clock import now
from config.errors import DomainError
from workflows.models import CalendarOverride, Clock, ClockEvent
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
