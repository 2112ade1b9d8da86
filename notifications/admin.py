"""Django admin (in Vietnamese) for the outbox: look, and retry now."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from config.clock import now
from notifications import services
from notifications.models import Delivery, DeliveryState, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "address", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "recipient", "kind", "dossier", "title", "read_at"]
    list_filter = ["recipient_kind", "kind", "created_at"]
    search_fields = ["=id", "dossier", "title", "recipient_name", "citizen_phone", "citizen_email"]
    list_select_related = ["recipient_user", "recipient_unit", "recipient_centre"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    readonly_fields = [
        "recipient_kind",
        "recipient_user",
        "recipient_unit",
        "recipient_centre",
        "recipient_name",
        "citizen_phone",
        "citizen_email",
        "kind",
        "dossier",
        "title",
        "body",
        "data",
        "created_at",
        "read_at",
    ]

    @admin.display(description=_("người nhận"))
    def recipient(self, obj: Notification) -> str:
        target = obj.recipient_user or obj.recipient_unit or obj.recipient_centre
        label = obj.recipient_name or (str(target) if target else "")
        return (
            f"{obj.get_recipient_kind_display()}: {label}"
            if label
            else str(obj.get_recipient_kind_display())
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "notification_link",
        "channel",
        "address",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["state", "channel"]
    search_fields = ["=id", "=notification__id", "notification__dossier", "address"]
    list_select_related = ["notification"]
    actions = ["retry_now"]
    readonly_fields = [
        "notification",
        "channel",
        "address",
        "text",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    ]

    @admin.display(description=_("thông báo"), ordering="notification_id")
    def notification_link(self, obj: Delivery) -> str:
        return f"#{obj.notification_id} {obj.notification.title}"[:80]

    @admin.display(description=_("lỗi gần nhất"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:120]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Gửi lại ngay các lượt đã chọn"), permissions=["change"])
    def retry_now(self, request, queryset):
        ids = list(queryset.exclude(state=DeliveryState.SENT).values_list("pk", flat=True))
        skipped = queryset.count() - len(ids)
        counts = services.deliveries_retry(ids=ids, now=now())
        self.message_user(
            request,
            _(
                "Đã gửi %(sent)d, sẽ thử lại %(retrying)d, hết hiệu lực %(expired)d; bỏ qua %(skipped)d lượt đã gửi."
            )
            % {**counts, "skipped": skipped},
            messages.SUCCESS
            if not counts["retrying"] and not counts["expired"]
            else messages.WARNING,
        )
