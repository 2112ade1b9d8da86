"""The procedure catalogue and the administrative directory.

This app knows nothing of dossiers: it describes where dossiers are received
(provinces, communes, service centres), who works there (agencies, units,
officers) and what the rules of each procedure are, versioned by the date the
rules take effect.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from procedures.validators import validate_phone

# ---------------------------------------------------------------------------
# Administrative divisions (after the 1 July 2025 reform: 34 provinces, 3,321
# commune-level units).
# ---------------------------------------------------------------------------


class Province(models.Model):
    code = models.CharField(_("mã"), max_length=2, primary_key=True)
    name = models.CharField(_("tên"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.CharField(_("tên mã"), max_length=100)

    class Meta:
        verbose_name = _("tỉnh, thành phố")
        verbose_name_plural = pgettext_lazy("plural", "tỉnh, thành phố")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    code = models.CharField(_("mã"), max_length=5, primary_key=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("tỉnh")
    )
    name = models.CharField(_("tên"), max_length=100)
    division_type = models.CharField(_("loại"), max_length=40)
    codename = models.CharField(_("tên mã"), max_length=100)

    class Meta:
        verbose_name = _("xã, phường, đặc khu")
        verbose_name_plural = pgettext_lazy("plural", "xã, phường, đặc khu")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}"


# ---------------------------------------------------------------------------
# Service centres, agencies, units, officers
# ---------------------------------------------------------------------------

identifier_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9.]{0,29}$",
    _("Mã định danh chỉ gồm chữ, số và dấu chấm (tối đa 30 ký tự), không có dấu gạch ngang."),
    code="invalid_identifier",
)

DEFAULT_SESSIONS = [["07:30", "11:30"], ["13:30", "17:30"]]


def default_office_hours() -> list[list[list[str]]]:
    """Sessions per weekday, Monday first: Mon–Fri 07:30–11:30 and 13:30–17:30."""
    return [[list(s) for s in DEFAULT_SESSIONS] for _ in range(5)] + [[], []]


def default_saturday_reception_hours() -> list[list[str]]:
    return [["07:30", "11:30"]]


class ServiceCentre(models.Model):
    """A commune-level Public Administrative Service Centre."""

    code = models.CharField(
        _("mã"),
        max_length=5,
        unique=True,
        help_text=_("Mã đơn vị hành chính cấp xã nơi đặt trung tâm."),
    )
    commune = models.OneToOneField(
        Commune, on_delete=models.PROTECT, related_name="centre", verbose_name=_("xã, phường")
    )
    name = models.CharField(_("tên"), max_length=200)
    identifier = models.CharField(
        _("mã định danh điện tử"),
        max_length=30,
        unique=True,
        validators=[identifier_validator],
        help_text=_("Dùng trong mã hồ sơ: <mã định danh>-YYMMDD-NNNN."),
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    office_hours = models.JSONField(
        _("giờ làm việc"),
        default=default_office_hours,
        help_text=_(
            "Các buổi làm việc theo thứ trong tuần, bắt đầu từ Thứ Hai, ví dụ "
            '[[["07:30","11:30"],["13:30","17:30"]], …, [], []].'
        ),
    )
    saturday_reception = models.BooleanField(
        _("tiếp nhận sáng Thứ Bảy"),
        default=False,
        help_text=_("Tiếp nhận hồ sơ sáng Thứ Bảy; thời gian này không tính vào thời hạn."),
    )
    saturday_reception_hours = models.JSONField(
        _("giờ tiếp nhận Thứ Bảy"), default=default_saturday_reception_hours
    )
    active = models.BooleanField(_("đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("trung tâm phục vụ hành chính công")
        verbose_name_plural = pgettext_lazy("plural", "trung tâm phục vụ hành chính công")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(identifier__contains="-"), name="centre_identifier_no_hyphen"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .services import validate_office_hours

        validate_office_hours(self.office_hours, field="office_hours")
        validate_office_hours([self.saturday_reception_hours], field="saturday_reception_hours")


class AgencyKind(models.TextChoices):
    PEOPLE_COMMITTEE = "people_committee", _("Ủy ban nhân dân cấp xã")
    SOCIAL_INSURANCE = "social_insurance", _("Bảo hiểm xã hội cơ sở")
    POLICE = "police", _("Công an cấp xã")
    TAX = "tax", _("Thuế cơ sở")


class Agency(models.Model):
    """A competent agency: the commune People's Committee, a grassroots
    Social Insurance office, … An agency serves one or more centres."""

    code = models.SlugField(_("mã"), max_length=50, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại cơ quan"), max_length=30, choices=AgencyKind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("tỉnh")
    )
    centres = models.ManyToManyField(
        ServiceCentre, related_name="agencies", blank=True, verbose_name=_("trung tâm phục vụ")
    )

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = pgettext_lazy("plural", "cơ quan")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    RECEPTION = "reception", _("Bộ phận một cửa")
    SPECIALIST = "specialist", _("Bộ phận chuyên môn")
    LEADERSHIP = "leadership", _("Lãnh đạo")


class Unit(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="units", verbose_name=_("cơ quan")
    )
    code = models.SlugField(_("mã"), max_length=50)
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại bộ phận"), max_length=20, choices=UnitKind.choices)
    centre = models.ForeignKey(
        ServiceCentre,
        on_delete=models.PROTECT,
        related_name="units",
        null=True,
        blank=True,
        verbose_name=_("đặt tại trung tâm"),
        help_text=_("Bộ phận một cửa đặt tại trung tâm nào."),
    )

    class Meta:
        verbose_name = _("bộ phận")
        verbose_name_plural = pgettext_lazy("plural", "bộ phận")
        ordering = ["agency__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="unit_code_unique_in_agency"),
            models.CheckConstraint(
                condition=~Q(kind="reception") | Q(centre__isnull=False),
                name="reception_unit_has_centre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.agency.name}"


class Role(models.TextChoices):
    RECEIVER = "receiver", _("Cán bộ một cửa")
    HANDLER = "handler", _("Chuyên viên xử lý")
    APPROVER = "approver", _("Lãnh đạo phê duyệt")
    MANAGER = "manager", _("Quản lý")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


class Officer(models.Model):
    """A civil servant using motcua: a user with a unit, a role and centres."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="officer",
        verbose_name=_("tài khoản"),
    )
    full_name = models.CharField(_("họ và tên"), max_length=150)
    phone = models.CharField(
        _("điện thoại"), max_length=15, blank=True, validators=[validate_phone]
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="officers",
        null=True,
        blank=True,
        verbose_name=_("bộ phận"),
    )
    centres = models.ManyToManyField(
        ServiceCentre, related_name="officers", blank=True, verbose_name=_("làm việc tại")
    )
    province_scope = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("phạm vi cấp tỉnh"),
        help_text=_(
            "Cán bộ cấp tỉnh (văn phòng UBND tỉnh, BHXH tỉnh…) được xem và quản lý mọi trung "
            "tâm của tỉnh này. Chỉ quản trị viên cấp cao nhất được đặt."
        ),
    )

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = pgettext_lazy("plural", "cán bộ")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"


# ---------------------------------------------------------------------------
# Procedure catalogue
# ---------------------------------------------------------------------------


class Sector(models.Model):
    code = models.SlugField(_("mã"), max_length=30, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=200)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = pgettext_lazy("plural", "lĩnh vực")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


procedure_code_validator = RegexValidator(
    r"^[0-9]\.[0-9]{6}$",
    _("Mã thủ tục quốc gia có dạng 1.001667."),
    code="invalid_procedure_code",
)


class Procedure(models.Model):
    code = models.CharField(
        _("mã thủ tục"), max_length=20, unique=True, validators=[procedure_code_validator]
    )
    name = models.CharField(_("tên thủ tục"), max_length=500)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    agency_kind = models.CharField(
        _("cơ quan có thẩm quyền"), max_length=30, choices=AgencyKind.choices
    )
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = pgettext_lazy("plural", "thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Bưu chính công ích")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Không trực tuyến")


class LimitUnit(models.TextChoices):
    DAYS = "days", _("ngày làm việc")
    HOURS = "hours", _("giờ làm việc")


#: Length of a standard working day used to check a version's step budgets
#: (Labour Code 2019, Art. 105: 8 hours a day).
STANDARD_DAY_HOURS = Decimal(8)


class ProcedureVersion(models.Model):
    """The rules of a procedure from ``effective_from`` until the next version."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="versions", verbose_name=_("thủ tục")
    )
    effective_from = models.DateField(_("có hiệu lực từ"))
    limit_value = models.PositiveIntegerField(
        _("thời hạn giải quyết"), validators=[MinValueValidator(1)]
    )
    limit_unit = models.CharField(
        _("đơn vị thời hạn"), max_length=10, choices=LimitUnit.choices, default=LimitUnit.DAYS
    )
    reception_hours = models.DecimalField(
        _("thời gian tiếp nhận, chuyển hồ sơ (giờ)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(4),
        validators=[MinValueValidator(Decimal(0))],
    )
    return_hours = models.DecimalField(
        _("thời gian trả kết quả (giờ)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(4),
        validators=[MinValueValidator(Decimal(0))],
    )
    fee = models.PositiveIntegerField(_("phí, lệ phí (đồng)"), default=0)
    fee_note = models.CharField(_("ghi chú phí, lệ phí"), max_length=500, blank=True)
    channels = models.JSONField(_("cách thức thực hiện"), default=list)
    online_level = models.CharField(
        _("mức độ trực tuyến"), max_length=10, choices=OnlineLevel.choices, default=OnlineLevel.NONE
    )
    result_kind = models.CharField(_("kết quả thực hiện"), max_length=300)
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = pgettext_lazy("plural", "phiên bản thủ tục")
        ordering = ["procedure__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "effective_from"], name="one_version_per_procedure_and_date"
            ),
            models.CheckConstraint(condition=Q(limit_value__gte=1), name="version_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} @ {self.effective_from.isoformat()}"

    @property
    def time_limit(self) -> str:
        """The legal time limit as an ISO 8601 duration in working time."""
        if self.limit_unit == LimitUnit.HOURS:
            return f"PT{self.limit_value}H"
        return f"P{self.limit_value}D"

    @property
    def limit_hours(self) -> Decimal:
        if self.limit_unit == LimitUnit.HOURS:
            return Decimal(self.limit_value)
        return Decimal(self.limit_value) * STANDARD_DAY_HOURS

    def is_in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day


class StepRole(models.TextChoices):
    HANDLING = "handling", _("Thẩm định, xử lý")
    CONSULTATION = "consultation", _("Lấy ý kiến phối hợp")
    APPROVAL = "approval", _("Phê duyệt, ký")


class ProcessStep(models.Model):
    version = models.ForeignKey(
        ProcedureVersion,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("phiên bản"),
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=200)
    role = models.CharField(_("vai trò thực hiện"), max_length=20, choices=StepRole.choices)
    budget_hours = models.DecimalField(
        _("thời gian (giờ làm việc)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("các bước xử lý")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="step_order_unique"),
            models.CheckConstraint(condition=Q(budget_hours__gt=0), name="step_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class DocumentKind(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    COPY = "copy", _("Bản sao")
    CERTIFIED_COPY = "certified_copy", _("Bản sao có chứng thực")


class RequiredDocument(models.Model):
    version = models.ForeignKey(
        ProcedureVersion,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("phiên bản"),
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    kind = models.CharField(_("loại"), max_length=20, choices=DocumentKind.choices)
    quantity = models.PositiveSmallIntegerField(
        _("số lượng"), default=1, validators=[MinValueValidator(1)]
    )
    mandatory = models.BooleanField(_("bắt buộc"), default=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = pgettext_lazy("plural", "thành phần hồ sơ")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="document_order_unique"),
        ]

    def __str__(self) -> str:
        return self.name
