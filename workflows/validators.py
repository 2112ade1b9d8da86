"""Vietnamese identity numbers (and, re-exported, phone numbers)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from procedures.validators import normalise_phone

__all__ = ["BIRTHPLACE_CODES", "normalise_phone", "validate_id_number"]

#: Birthplace codes that open a 12-digit personal identification number
#: (Circular 59/2021/TT-BCA, Appendix: the 63 pre-2025 provinces).
BIRTHPLACE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

_ID = re.compile(r"^[0-9]{12}$")


def validate_id_number(value: str) -> None:
    """A 12-digit personal identification number (số định danh cá nhân/CCCD):
    birthplace code, a century-and-sex digit (0–3 for people born 1900–2099),
    the last two digits of the birth year and six random digits."""
    if not _ID.match(value or ""):
        raise ValidationError(
            "Số định danh cá nhân phải gồm đúng 12 chữ số.", code="invalid_id_number"
        )
    if value[:3] not in BIRTHPLACE_CODES:
        raise ValidationError(
            f"Số định danh cá nhân không hợp lệ: mã nơi đăng ký khai sinh «{value[:3]}» không tồn tại.",
            code="invalid_id_number",
        )
    if value[3] not in "0123":
        raise ValidationError(
            "Số định danh cá nhân không hợp lệ: chữ số thứ tư (thế kỷ, giới tính) phải từ 0 đến 3.",
            code="invalid_id_number",
        )
