"""Administrators' changes to the national working calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.models import Province, ServiceCentre


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Ngày nghỉ")
    WORKING_DAY = "working_day", _("Ngày làm việc")


class OverrideScope(models.TextChoices):
    NATION = "nation", _("Toàn quốc")
    PROVINCE = "province", _("Tỉnh, thành phố")
    CENTRE = "centre", _("Trung tâm")


class CalendarOverride(models.Model):
    """A date made a day off or a working day, for the nation, one province or
    one centre, with a reason. A centre's calendar is the national rules, then
    its province's overrides, then its own (later wins)."""

    date = models.DateField(_("ngày"), db_index=True)
    kind = models.CharField(_("loại"), max_length=20, choices=OverrideKind.choices)
    scope = models.CharField(_("phạm vi"), max_length=20, choices=OverrideScope.choices)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_overrides",
        verbose_name=_("tỉnh, thành phố"),
    )
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_overrides",
        verbose_name=_("trung tâm"),
    )
    reason = models.CharField(_("lý do"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("người tạo"),
    )
    created_at = models.DateTimeField(_("tạo lúc"))

    class Meta:
        verbose_name = _("điều chỉnh lịch làm việc")
        verbose_name_plural = pgettext_lazy("plural", "điều chỉnh lịch làm việc")
        ordering = ["date", "scope"]
        constraints = [
            models.CheckConstraint(
                name="override_scope_target",
                condition=(
                    Q(scope="nation", province__isnull=True, centre__isnull=True)
                    | Q(scope="province", province__isnull=False, centre__isnull=True)
                    | Q(scope="centre", province__isnull=True, centre__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["date"], condition=Q(scope="nation"), name="one_national_override_a_day"
            ),
            models.UniqueConstraint(
                fields=["date", "province"],
                condition=Q(scope="province"),
                name="one_province_override_a_day",
            ),
            models.UniqueConstraint(
                fields=["date", "centre"],
                condition=Q(scope="centre"),
                name="one_centre_override_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} ({self.get_scope_display()})"
