"""Provinces and communes from the ``vietnam-provinces`` package."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from vietnam_provinces import Province as VPProvince
from vietnam_provinces import Ward as VPWard

from procedures.models import Commune, Province


@dataclass(frozen=True)
class DivisionsLoaded:
    provinces: int
    communes: int
    created_provinces: int
    created_communes: int
    updated: int


def province_code(value: int | str) -> str:
    """Official 2-digit province code: ``38`` → ``"38"``, ``1`` → ``"01"``."""
    return f"{int(value):02d}"


def commune_code(value: int | str) -> str:
    """Official 5-digit commune code, zero-padded."""
    return f"{int(value):05d}"


@transaction.atomic
def divisions_load() -> DivisionsLoaded:
    """Load or refresh the 34 provinces and 3,321 communes. Idempotent."""
    existing_p = {p.code: p for p in Province.objects.all()}
    new_p, changed_p = [], []
    for vp in VPProvince.iter_all():
        code = province_code(vp.code)
        fields = {
            "name": vp.name,
            "division_type": vp.division_type.value,
            "codename": vp.codename,
        }
        current = existing_p.get(code)
        if current is None:
            new_p.append(Province(code=code, **fields))
        elif any(getattr(current, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(current, k, v)
            changed_p.append(current)
    Province.objects.bulk_create(new_p)
    if changed_p:
        Province.objects.bulk_update(changed_p, ["name", "division_type", "codename"])

    existing_c = {c.code: c for c in Commune.objects.all()}
    new_c, changed_c = [], []
    for vw in VPWard.iter_all():
        code = commune_code(vw.code)
        fields = {
            "province_id": province_code(vw.province_code),
            "name": vw.name,
            "division_type": vw.division_type.value,
            "codename": vw.codename,
        }
        current = existing_c.get(code)
        if current is None:
            new_c.append(Commune(code=code, **fields))
        elif any(getattr(current, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(current, k, v)
            changed_c.append(current)
    Commune.objects.bulk_create(new_c, batch_size=500)
    if changed_c:
        Commune.objects.bulk_update(
            changed_c, ["province", "name", "division_type", "codename"], batch_size=500
        )
    return DivisionsLoaded(
        provinces=Province.objects.count(),
        communes=Commune.objects.count(),
        created_provinces=len(new_p),
        created_communes=len(new_c),
        updated=len(changed_p) + len(changed_c),
    )
