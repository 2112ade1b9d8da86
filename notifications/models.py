"""The notification outbox.

A ``Notification`` is written in the same transaction as the action it tells
about; each way of telling it (the officer's browser, e-mail, SMS) is a
``Delivery`` of that row, attempted after commit and retried until it is sent
or the message no longer matters (``expires_at``, from the table in
``notifications.lifetimes``). Ids only grow, so a client that reconnects asks
for everything "after" the last id it saw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import ServiceCentre, Unit


class RecipientKind(models.TextChoices):
    OFFICER = "officer", _("Cán bộ")
    UNIT = "unit", _("Bộ phận")
    CENTRE = "centre", _("Trung tâm")
    CITIZEN = "citizen", _("Công dân")


class Notification(models.Model):
    id = models.BigAutoField(primary_key=True)
    recipient_kind = models.CharField(_("gửi tới"), max_length=10, choices=RecipientKind.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("cán bộ"),
        db_index=False,  # covered by notification_user_resume
    )
    recipient_unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("bộ phận"),
        db_index=False,  # covered by notification_unit_resume
    )
    recipient_centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("trung tâm"),
        db_index=False,  # covered by notification_centre_resume
    )
    citizen_phone = models.CharField(_("điện thoại công dân"), max_length=20, blank=True)
    citizen_email = models.EmailField(_("thư điện tử công dân"), blank=True)
    recipient_name = models.CharField(_("tên người nhận"), max_length=200, blank=True)
    kind = models.CharField(_("loại thông báo"), max_length=50)
    dossier = models.CharField(
        _("mã hồ sơ"), max_length=60, blank=True, help_text=_("Mã hồ sơ (không phải khóa ngoại).")
    )
    title = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"), blank=True)
    data = models.JSONField(_("dữ liệu kèm theo"), default=dict, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"))
    expires_at = models.DateTimeField(
        _("hết hiệu lực lúc"),
        help_text=_("Sau thời điểm này thông báo không còn ý nghĩa và không được gửi nữa."),
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("thuộc trung tâm"),
        help_text=_("Trung tâm của hồ sơ hoặc người nhận: ai được xem lượt gửi không thành."),
    )
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = pgettext_lazy("plural", "thông báo")
        ordering = ["-id"]
        indexes = [
            # "Everything addressed to me after id N": one index per way of
            # being addressed, each holding only the rows addressed that way.
            models.Index(
                fields=["recipient_user", "id"],
                condition=Q(recipient_user__isnull=False),
                name="notification_user_resume",
            ),
            models.Index(
                fields=["recipient_unit", "id"],
                condition=Q(recipient_unit__isnull=False),
                name="notification_unit_resume",
            ),
            models.Index(
                fields=["recipient_centre", "id"],
                condition=Q(recipient_centre__isnull=False),
                name="notification_centre_resume",
            ),
            models.Index(fields=["dossier", "id"], name="notification_dossier"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        recipient_kind=RecipientKind.OFFICER,
                        recipient_user__isnull=False,
                        recipient_unit__isnull=True,
                        recipient_centre__isnull=True,
                    )
                    | Q(
                        recipient_kind=RecipientKind.UNIT,
                        recipient_user__isnull=True,
                        recipient_unit__isnull=False,
                        recipient_centre__isnull=True,
                    )
                    | Q(
                        recipient_kind=RecipientKind.CENTRE,
                        recipient_user__isnull=True,
                        recipient_unit__isnull=True,
                        recipient_centre__isnull=False,
                    )
                    | (
                        Q(
                            recipient_kind=RecipientKind.CITIZEN,
                            recipient_user__isnull=True,
                            recipient_unit__isnull=True,
                            recipient_centre__isnull=True,
                        )
                        & ~Q(dossier="")
                    )
                ),
                name="notification_addressed_once",
                violation_error_message=_(
                    "Thông báo phải gửi đúng một người nhận theo loại (công dân: cần mã hồ sơ)."
                ),
            ),
            models.CheckConstraint(condition=~Q(kind=""), name="notification_kind_required"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def recipient_label(self) -> str:
        """``Công dân: Nguyễn Viết Anh``, ``Bộ phận: …`` (reads the recipient's
        row unless the name was stored)."""
        target = self.recipient_user or self.recipient_unit or self.recipient_centre
        label = self.recipient_name or (str(target) if target else "")
        kind = self.get_recipient_kind_display()
        return f"{kind}: {label}" if label else str(kind)


class Channel(models.TextChoices):
    WEB = "web", _("Trình duyệt")
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    #: The message stopped mattering before it could be sent; never sent after.
    EXPIRED = "expired", _("Hết hiệu lực, không gửi")


class Delivery(models.Model):
    """One way of telling one notification; retried with a capped backoff
    until sent or until its notification expires (``expired``)."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("thông báo"),
        db_index=False,  # covered by delivery_one_per_channel
    )
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    address = models.CharField(
        _("địa chỉ"),
        max_length=254,
        blank=True,
        help_text=_("Thư điện tử hoặc số điện thoại; trống với kênh trình duyệt."),
    )
    text = models.TextField(
        _("nội dung tin nhắn"), blank=True, help_text=_("Nội dung SMS đúng như được gửi.")
    )
    state = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("số lần thử"), default=0)
    next_attempt_at = models.DateTimeField(_("thử lần tới lúc"))
    last_attempt_at = models.DateTimeField(_("thử gần nhất lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    waiting_for_channel = models.BooleanField(
        _("chờ kênh hoạt động lại"),
        default=False,
        help_text=_(
            "Lần gửi gần nhất không thành vì cả kênh đang lỗi (không phải vì tin này): "
            "gửi ngay khi kênh hoạt động lại."
        ),
    )
    sent_at = models.DateTimeField(_("đã gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lượt gửi")
        verbose_name_plural = pgettext_lazy("plural", "lượt gửi")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="delivery_due",
            ),
            # The undelivered list: only the rows that are not sent.
            models.Index(fields=["id"], condition=~Q(state="sent"), name="delivery_unsent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["web", "email", "sms"]), name="delivery_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "expired"]), name="delivery_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False)
                | (~Q(state="sent") & Q(sent_at__isnull=True)),
                name="delivery_sent_at_iff_sent",
            ),
            models.CheckConstraint(
                condition=Q(channel="web") | ~Q(address=""), name="delivery_address_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.notification_id}"


class ChannelHealth(models.Model):
    """What the delivery runs last found about a channel as a whole (the
    channel layer, the SMTP server, the SMS gateway): while it is down the
    runs probe it once per ``PROBE_EVERY`` instead of trying (and counting an
    attempt for) every waiting delivery; the first success re-sends them all."""

    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices, primary_key=True)
    down_since = models.DateTimeField(_("lỗi từ lúc"), null=True, blank=True)
    checked_at = models.DateTimeField(_("kiểm tra gần nhất lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)

    class Meta:
        verbose_name = _("tình trạng kênh gửi")
        verbose_name_plural = pgettext_lazy("plural", "tình trạng kênh gửi")

    def __str__(self) -> str:
        return str(self.get_channel_display())
