"""Catalogue documents and directory objects for tests, built through the
real services (import, centre_open, officer_upsert)."""

from __future__ import annotations

import copy
from typing import Any

FORMAT = "motcua.procedures/1"


def step(order: int, hours: float, role: str = "handling", name: str | None = None) -> dict:
    return {"order": order, "name": name or f"Bước {order}", "role": role, "budget_hours": hours}


def version_doc(
    effective_from: str = "2025-07-01",
    time_limit: str = "P3D",
    steps: list[dict] | None = None,
    reception_hours: float = 2,
    return_hours: float = 2,
    **extra: Any,
) -> dict:
    doc = {
        "effective_from": effective_from,
        "time_limit": time_limit,
        "reception_hours": reception_hours,
        "return_hours": return_hours,
        "fee": 0,
        "fee_note": "",
        "channels": ["in_person", "online"],
        "online_level": "partial",
        "result_kind": "Kết quả thử nghiệm",
        "legal_basis": "",
        "documents": [
            {"name": "Tờ khai", "kind": "original", "quantity": 1, "mandatory": True},
            {"name": "Căn cước", "kind": "copy", "quantity": 1, "mandatory": False},
        ],
        "steps": steps
        if steps is not None
        else [step(1, 12, "handling", "Thẩm định"), step(2, 4, "approval", "Phê duyệt")],
    }
    doc.update(extra)
    return doc


def procedure_doc(
    code: str = "1.000001",
    name: str = "Thủ tục thử nghiệm",
    agency_kind: str = "social_insurance",
    versions: list[dict] | None = None,
) -> dict:
    return {
        "code": code,
        "name": name,
        "sector": "thu-nghiem",
        "agency_kind": agency_kind,
        "versions": versions if versions is not None else [version_doc()],
    }


def catalogue_doc(*procedures: dict) -> dict:
    return {
        "format": FORMAT,
        "sectors": [{"code": "thu-nghiem", "name": "Lĩnh vực thử nghiệm"}],
        "procedures": [copy.deepcopy(p) for p in procedures] or [procedure_doc()],
    }
