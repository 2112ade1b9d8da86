"""Demo data: Thanh Hóa, three centres, two agencies each, one officer per role."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from procedures.models import AgencyKind, Commune, Role, ServiceCentre, UnitKind

from .catalogue import catalogue_import
from .directory import agency_ensure, centre_open, officer_upsert, roles_sync, unit_ensure
from .divisions import divisions_load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_PROVINCE = "38"  # Thanh Hóa
#: (commune code, short name used in usernames, receives on Saturday morning)
DEMO_CENTRES = [
    ("14797", "hacthanh", True),
    ("16531", "samson", False),
    ("15271", "hatrung", False),
]
DEFAULT_PASSWORD = "motcua-demo"
#: agency key → (kind, name, [(role in the demo, unit code, unit name, unit kind)])
DEMO_AGENCIES = {
    "ubnd": (
        AgencyKind.PEOPLE_COMMITTEE,
        "Ủy ban nhân dân {place}",
        [
            ("reception", "mot-cua", "Bộ phận một cửa", UnitKind.RECEPTION),
            ("specialist", "tu-phap-ho-tich", "Bộ phận Tư pháp – Hộ tịch", UnitKind.SPECIALIST),
            ("leadership", "lanh-dao", "Lãnh đạo UBND", UnitKind.LEADERSHIP),
        ],
    ),
    "bhxh": (
        AgencyKind.SOCIAL_INSURANCE,
        "Bảo hiểm xã hội cơ sở {place}",
        [
            ("reception", "mot-cua", "Bộ phận một cửa BHXH tại trung tâm", UnitKind.RECEPTION),
            ("specialist", "nghiep-vu", "Bộ phận nghiệp vụ BHXH", UnitKind.SPECIALIST),
            ("leadership", "lanh-dao", "Lãnh đạo BHXH cơ sở", UnitKind.LEADERSHIP),
        ],
    ),
}


@dataclass
class DemoAccount:
    username: str
    role: str
    full_name: str
    centre: str
    unit: str


@dataclass
class DemoResult:
    centres: list[str] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    password: str = DEFAULT_PASSWORD


def catalogue_fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


@transaction.atomic
def demo_seed(*, password: str = DEFAULT_PASSWORD) -> DemoResult:
    """Idempotent: running it twice leaves the same data."""
    if Commune.objects.filter(province_id=DEMO_PROVINCE).count() == 0:
        divisions_load()
    for path in catalogue_fixture_files():
        catalogue_import(data=json.loads(path.read_text(encoding="utf-8")))
    roles_sync()
    result = DemoResult(password=password)
    for commune, short, saturday in DEMO_CENTRES:
        demo_centre(
            commune=commune, short=short, saturday=saturday, password=password, result=result
        )
    User = get_user_model()
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create_superuser("admin", "admin@motcua.invalid", password)
    elif not admin.check_password(password):
        admin.set_password(password)
        admin.save(update_fields=["password"])
    result.accounts.insert(0, DemoAccount("admin", "superuser", "Quản trị viên", "*", ""))
    return result


def demo_centre(
    *, commune: str, short: str, saturday: bool, password: str, result: DemoResult
) -> ServiceCentre:
    """One demo centre: its People's Committee and social-insurance agencies,
    three units each, one officer per role (usernames ``<short>.<role>``).
    Also used by the inbox benchmark to open its hundred centres."""
    centre = centre_open(commune=commune, saturday_reception=saturday)
    result.centres.append(f"{centre.code} {centre.name} ({centre.identifier})")
    place = centre.commune.name
    units = {}
    for key, (kind, name, unit_rows) in DEMO_AGENCIES.items():
        agency = agency_ensure(
            code=f"{key}-{commune}",
            name=name.format(place=place),
            kind=kind,
            province=DEMO_PROVINCE,
            centres=[centre],
        )
        for role, code, unit_name, unit_kind in unit_rows:
            units[(key, role)] = unit_ensure(
                agency=agency,
                code=code,
                name=unit_name,
                kind=unit_kind,
                # the desk sits at the centre; the other units at their agency
                centre=centre if unit_kind == UnitKind.RECEPTION else None,
            )
    people = [
        (f"{short}.motcua", Role.RECEIVER, "Lê Thị Mai", ("ubnd", "reception")),
        (f"{short}.bhxh.motcua", Role.RECEIVER, "Phạm Văn Hùng", ("bhxh", "reception")),
        (f"{short}.chuyenvien", Role.HANDLER, "Nguyễn Thị Hoa", ("ubnd", "specialist")),
        (f"{short}.bhxh.chuyenvien", Role.HANDLER, "Trần Văn Nam", ("bhxh", "specialist")),
        (f"{short}.lanhdao", Role.APPROVER, "Hoàng Văn Sơn", ("ubnd", "leadership")),
        (f"{short}.bhxh.lanhdao", Role.APPROVER, "Vũ Thị Lan", ("bhxh", "leadership")),
        (f"{short}.quanly", Role.MANAGER, "Đỗ Văn Minh", None),
        (f"{short}.quantri", Role.ADMINISTRATOR, "Bùi Thị Thu", None),
    ]
    for username, role, full_name, unit_key in people:
        unit = units[unit_key] if unit_key else None
        officer_upsert(
            username=username,
            full_name=full_name,
            email=f"{username}@motcua.invalid",
            phone="",
            role=role,
            unit=unit,
            centres=[centre],
            password=password,
        )
        result.accounts.append(
            DemoAccount(
                username=username,
                role=str(role),
                full_name=full_name,
                centre=centre.code,
                unit=str(unit.name) if unit else "",
            )
        )
    return centre
