"""Centres, agencies, units, officers and their permission groups."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from config.errors import NotFound, ValidationFailed
from procedures.models import (
    Agency,
    Commune,
    Officer,
    Role,
    ServiceCentre,
    Unit,
    identifier_validator,
)
from procedures.roles import ROLE_GROUPS, ROLE_PERMISSIONS, ROLE_UNIT_KIND
from procedures.validators import normalise_phone

from .divisions import commune_code

User = get_user_model()

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def validate_office_hours(value: Any, *, field: str) -> None:
    """Office hours are a list of days, each a list of ["HH:MM", "HH:MM"]
    sessions in increasing, non-overlapping order."""
    message = None
    if not isinstance(value, list) or not value or len(value) > 7:
        message = "Giờ làm việc phải là danh sách các ngày (tối đa 7, bắt đầu từ Thứ Hai)."
    else:
        for i, day in enumerate(value):
            if not isinstance(day, list):
                message = f"Ngày thứ {i + 1}: phải là danh sách các buổi."
                break
            previous_end = None
            for session in day:
                if (
                    not isinstance(session, list | tuple)
                    or len(session) != 2
                    or not all(isinstance(t, str) and _HHMM.match(t) for t in session)
                ):
                    message = f'Ngày thứ {i + 1}: mỗi buổi có dạng ["HH:MM", "HH:MM"].'
                    break
                start, end = (dt.time.fromisoformat(t) for t in session)
                if start >= end:
                    message = f"Ngày thứ {i + 1}: giờ kết thúc phải sau giờ bắt đầu."
                    break
                if previous_end is not None and start < previous_end:
                    message = f"Ngày thứ {i + 1}: các buổi chồng lấn hoặc không theo thứ tự."
                    break
                previous_end = end
            if message:
                break
    if message:
        raise ValidationError({field: ValidationError(message, code="invalid_office_hours")})


def parse_sessions(value: list[list[str]]) -> list[tuple[dt.time, dt.time]]:
    return [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in value]


# ---------------------------------------------------------------------------
# Centres
# ---------------------------------------------------------------------------


def centre_open(
    *,
    commune: str,
    identifier: str | None = None,
    name: str | None = None,
    saturday_reception: bool = False,
) -> ServiceCentre:
    """Open (or return) the service centre of a commune. Idempotent."""
    code = (
        commune_code(commune) if str(commune).isascii() and str(commune).isdigit() else str(commune)
    )
    try:
        commune_obj = Commune.objects.select_related("province").get(code=code)
    except Commune.DoesNotExist:
        raise NotFound(
            f"Không có xã, phường mã {commune}. Hãy chạy 'manage.py load_divisions' trước.",
            code="unknown_commune",
            field="commune",
        ) from None
    existing = ServiceCentre.objects.filter(commune=commune_obj).first()
    if existing:
        return existing
    identifier = identifier or f"{commune_obj.province_id}.{commune_obj.code}"
    try:
        identifier_validator(identifier)
    except ValidationError as e:
        raise ValidationFailed(e.messages[0], code="invalid_identifier", field="identifier") from e
    if ServiceCentre.objects.filter(identifier=identifier).exists():
        raise ValidationFailed(
            f"Mã định danh {identifier} đã được dùng cho trung tâm khác.",
            code="duplicate_identifier",
            field="identifier",
        )
    return ServiceCentre.objects.create(
        code=commune_obj.code,
        commune=commune_obj,
        identifier=identifier,
        name=name or f"Trung tâm Phục vụ hành chính công {commune_obj.name}",
        saturday_reception=saturday_reception,
    )


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------


def roles_sync() -> dict[str, int]:
    """Create the role groups and grant their permissions. Idempotent."""
    granted: dict[str, int] = {}
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, group_name in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = [all_perms[name] for name in ROLE_PERMISSIONS[role] if name in all_perms]
        group.permissions.set(perms)
        granted[str(role)] = len(perms)
    return granted


def officer_sync_groups(officer: Officer) -> None:
    """The role's permission group follows the role; every officer is staff
    (signs in to the officers' pages and the admin). Superuser status, other
    groups and individual permissions are never touched here."""
    if not officer.user.is_staff:
        officer.user.is_staff = True
        officer.user.save(update_fields=["is_staff"])
    groups = Group.objects.filter(name=ROLE_GROUPS[Role(officer.role)])
    other = Group.objects.filter(name__in=ROLE_GROUPS.values()).exclude(
        name=ROLE_GROUPS[Role(officer.role)]
    )
    officer.user.groups.remove(*other)
    officer.user.groups.add(*groups)


# ---------------------------------------------------------------------------
# Officers import
# ---------------------------------------------------------------------------

OFFICER_COLUMNS = ["username", "full_name", "email", "phone", "centre", "role"]
OFFICER_OPTIONAL = ["unit", "password"]
_USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


@dataclass
class OfficerImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    without_password: list[str] = field(default_factory=list)


def _resolve_centres(value: str) -> tuple[list[ServiceCentre], str | None]:
    centres = []
    for token in [t.strip() for t in value.split(";") if t.strip()]:
        centre = ServiceCentre.objects.filter(code=token).first() or (
            ServiceCentre.objects.filter(identifier=token).first()
        )
        if centre is None:
            return [], f"không có trung tâm mã {token!r}"
        centres.append(centre)
    if not centres:
        return [], "thiếu mã trung tâm"
    return centres, None


def _resolve_unit(value: str, centres: list[ServiceCentre]) -> tuple[Unit | None, str | None]:
    if ":" in value:
        agency_code, unit_code = value.split(":", 1)
        unit = Unit.objects.filter(agency__code=agency_code, code=unit_code).first()
        if unit is None:
            return None, f"không có bộ phận {value!r}"
        return unit, None
    candidates = list(
        Unit.objects.filter(code=value, agency__centres__in=centres).distinct()
    ) or list(Unit.objects.filter(code=value))
    if not candidates:
        return None, f"không có bộ phận mã {value!r}"
    if len(candidates) > 1:
        return None, f"mã bộ phận {value!r} không rõ ràng; hãy ghi <mã cơ quan>:<mã bộ phận>"
    return candidates[0], None


def officers_import(*, text: str) -> OfficerImportResult:
    """Import officers from CSV text. All rows are checked first; any error
    means nothing is written. Re-importing the same file changes nothing."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in OFFICER_COLUMNS if c not in header]
    unknown = [c for c in header if c not in OFFICER_COLUMNS + OFFICER_OPTIONAL]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"thiếu cột {', '.join(missing)}")
        if unknown:
            parts.append(f"cột không hợp lệ {', '.join(unknown)}")
        raise ValidationFailed(
            "Dòng 1 (tiêu đề): "
            + "; ".join(parts)
            + ". Cần các cột: "
            + ",".join(OFFICER_COLUMNS)
            + "[,unit,password].",
            code="invalid_header",
            field="header",
        )
    errors: dict[str, list[dict[str, str]]] = {}
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def err(line: int, column: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(f"row {line}.{column}", []).append(
            {"code": code, "message": f"Dòng {line}, cột {column}: {message}"}
        )

    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        username = row.get("username", "")
        if not _USERNAME.match(username):
            err(line, "username", "tên đăng nhập chỉ gồm chữ, số và . @ + - _")
        elif username in seen:
            err(line, "username", f"trùng với dòng {seen[username]}")
        seen.setdefault(username, line)
        if not row.get("full_name"):
            err(line, "full_name", "thiếu họ và tên")
        if row.get("email"):
            try:
                validate_email(row["email"])
            except ValidationError:
                err(line, "email", f"địa chỉ e-mail không hợp lệ: {row['email']!r}")
        if row.get("phone"):
            try:
                row["phone"] = normalise_phone(row["phone"])
            except ValidationError as e:
                err(line, "phone", e.messages[0])
        role = row.get("role", "")
        if role not in Role.values:
            err(line, "role", f"vai trò phải là một trong {', '.join(Role.values)}")
        centres, problem = _resolve_centres(row.get("centre", ""))
        if problem:
            err(line, "centre", problem)
        unit = None
        if row.get("unit"):
            unit, problem = _resolve_unit(row["unit"], centres)
            if problem:
                err(line, "unit", problem)
        if role in Role.values and not errors.get(f"row {line}.unit"):
            wanted_kind = ROLE_UNIT_KIND[Role(role)]
            if wanted_kind and unit is None:
                err(line, "unit", f"vai trò {role} cần một bộ phận")
            elif wanted_kind and unit is not None and unit.kind != wanted_kind:
                err(line, "unit", f"vai trò {role} phải thuộc bộ phận loại {wanted_kind}")
        password = row.get("password", "")
        if password and len(password) < 8:
            err(line, "password", "mật khẩu phải có ít nhất 8 ký tự")
        rows.append(
            {
                "username": username,
                "full_name": row.get("full_name", ""),
                "email": row.get("email", ""),
                "phone": row.get("phone", ""),
                "role": role,
                "unit": unit,
                "centres": centres,
                "password": password,
            }
        )
    if errors:
        first = next(iter(errors.values()))[0]["message"]
        raise ValidationFailed(
            f"Tệp cán bộ có {sum(len(v) for v in errors.values())} lỗi, không có gì được ghi. "
            f"Lỗi đầu tiên: {first}",
            code="invalid_officers",
            fields=errors,
        )
    result = OfficerImportResult()
    with transaction.atomic():
        roles_sync()
        for row in rows:
            outcome = officer_upsert(**row)
            setattr(result, outcome, getattr(result, outcome) + 1)
            if (
                not row["password"]
                and not User.objects.get(username=row["username"]).has_usable_password()
            ):
                result.without_password.append(row["username"])
    return result


def officer_upsert(
    *,
    username: str,
    full_name: str,
    email: str,
    phone: str,
    role: str,
    unit: Unit | None,
    centres: list[ServiceCentre],
    password: str = "",
) -> str:
    """Create or update one officer; returns "created", "updated" or "unchanged"."""
    user = User.objects.filter(username=username).first()
    outcome = "unchanged"
    if user is None:
        user = User(username=username, email=email, is_staff=True)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        outcome = "created"
    else:
        changed = False
        if user.email != email:
            user.email, changed = email, True
        if not user.is_staff:
            user.is_staff, changed = True, True
        if password and not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()
            outcome = "updated"
    officer = Officer.objects.filter(user=user).first()
    if officer is None:
        officer = Officer.objects.create(
            user=user, full_name=full_name, phone=phone, role=role, unit=unit
        )
        outcome = "created" if outcome == "created" else "updated"
    else:
        fields = {"full_name": full_name, "phone": phone, "role": role, "unit_id": unit and unit.pk}
        if any(getattr(officer, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(officer, k, v)
            officer.save()
            outcome = "updated" if outcome == "unchanged" else outcome
    if set(officer.centres.values_list("pk", flat=True)) != {c.pk for c in centres}:
        officer.centres.set(centres)
        outcome = "updated" if outcome == "unchanged" else outcome
    officer_sync_groups(officer)
    return outcome


def agency_ensure(
    *, code: str, name: str, kind: str, province: str, centres: list[ServiceCentre]
) -> Agency:
    agency, _ = Agency.objects.update_or_create(
        code=code, defaults={"name": name, "kind": kind, "province_id": province}
    )
    agency.centres.add(*centres)
    return agency


def unit_ensure(
    *, agency: Agency, code: str, name: str, kind: str, centre: ServiceCentre | None = None
) -> Unit:
    unit, _ = Unit.objects.update_or_create(
        agency=agency, code=code, defaults={"name": name, "kind": kind, "centre": centre}
    )
    return unit
