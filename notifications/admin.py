"""Django admin (in Vietnamese) for the outbox: look, see what could not be
delivered, and retry now. Lists are scoped to the centres the user sees."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from config.clock import now
from notifications import selectors, services
from notifications.models import ChannelHealth, Delivery, DeliveryState, Notification
from procedures.selectors import scope_centre_ids


def _scoped(qs, request, field: str):
    ids = scope_centre_ids(request.user)
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


class DeliveryOutcomeFilter(admin.SimpleListFilter):
    """A notification by what became of its deliveries."""

    title = _("tình trạng gửi")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("undelivered", _("Có lượt chưa gửi được")),
            ("waiting", _("Có lượt đang thử lại")),
            ("expired", _("Có lượt hết hiệu lực, không gửi")),
            ("sent", _("Đã gửi hết")),
        ]

    def queryset(self, request, queryset):
        own = Delivery.objects.filter(notification=OuterRef("pk"))
        value = self.value()
        if value == "undelivered":
            return queryset.filter(Exists(own.filter(selectors.UNDELIVERED)))
        if value == "waiting":
            return queryset.filter(
                Exists(own.filter(selectors.UNDELIVERED, state=DeliveryState.PENDING))
            )
        if value == "expired":
            return queryset.filter(Exists(own.filter(state=DeliveryState.EXPIRED)))
        if value == "sent":
            return queryset.exclude(Exists(own.exclude(state=DeliveryState.SENT)))
        return queryset


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = [
        "channel",
        "address",
        "state",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "waiting_for_channel",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "recipient",
        "kind",
        "dossier",
        "title",
        "delivery_outcome",
        "expires_at",
        "read_at",
    ]
    list_filter = [DeliveryOutcomeFilter, "recipient_kind", "kind", "centre", "created_at"]
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
        "centre",
        "created_at",
        "expires_at",
        "read_at",
    ]

    def get_queryset(self, request):
        qs = (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
                n_waiting=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
                n_expired=Count("deliveries", filter=Q(deliveries__state=DeliveryState.EXPIRED)),
            )
        )
        return _scoped(qs, request, "centre_id")

    @admin.display(description=_("các lượt gửi"))
    def delivery_outcome(self, obj: Notification) -> str:
        parts = []
        for count, label in (
            (obj.n_sent, _("đã gửi")),
            (obj.n_waiting, _("chờ gửi")),
            (obj.n_expired, _("hết hiệu lực")),
        ):
            if count:
                parts.append(f"{count} {label}")
        return ", ".join(parts) or "–"

    @admin.display(description=_("người nhận"))
    def recipient(self, obj: Notification) -> str:
        return obj.recipient_label

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
        "waiting_for_channel",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "expires_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["state", "channel", "waiting_for_channel", "notification__centre"]
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
        "last_attempt_at",
        "next_attempt_at",
        "waiting_for_channel",
        "last_error",
        "sent_at",
    ]

    def get_queryset(self, request):
        return _scoped(super().get_queryset(request), request, "notification__centre_id")

    @admin.display(description=_("hết hiệu lực lúc"), ordering="notification__expires_at")
    def expires_at(self, obj: Delivery):
        return obj.notification.expires_at

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
        ids = list(queryset.filter(state=DeliveryState.PENDING).values_list("pk", flat=True))
        skipped = queryset.count() - len(ids)
        counts = services.deliveries_retry(ids=ids, now=now())
        self.message_user(
            request,
            _(
                "Đã gửi %(sent)d, sẽ thử lại %(retrying)d, hết hiệu lực %(expired)d; bỏ qua %(skipped)d lượt đã gửi hoặc hết hiệu lực."
            )
            % {**counts, "skipped": skipped},
            messages.SUCCESS
            if not counts["retrying"] and not counts["expired"]
            else messages.WARNING,
        )


@admin.register(ChannelHealth)
class ChannelHealthAdmin(admin.ModelAdmin):
    list_display = ["channel", "down_since", "checked_at", "last_error"]
    readonly_fields = ["channel", "down_since", "checked_at", "last_error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
