"""The procedure catalogue: validation, version selection, import and export.

The file format is described in ``procedures/fixtures/FORMAT.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from config.errors import ValidationFailed
from procedures.models import (
    STANDARD_DAY_HOURS,
    AgencyKind,
    Channel,
    DocumentKind,
    LimitUnit,
    OnlineLevel,
    Procedure,
    ProcedureVersion,
    ProcessStep,
    RequiredDocument,
    Sector,
    StepRole,
)

FORMAT = "motcua.procedures/1"
PROCEDURE_CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}$")
SECTOR_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,30}$")
TIME_LIMIT_RE = re.compile(r"^P(?:(?P<days>[1-9][0-9]{0,2})D|T(?P<hours>[1-9][0-9]{0,3})H)$")


def limit_hours(limit_value: int, limit_unit: str) -> Decimal:
    if limit_unit == LimitUnit.HOURS:
        return Decimal(limit_value)
    return Decimal(limit_value) * STANDARD_DAY_HOURS


def budget_problem(
    *,
    limit_value: int,
    limit_unit: str,
    reception_hours: Decimal,
    return_hours: Decimal,
    step_budgets: list[Decimal],
) -> str | None:
    """Why the step budgets do not fit inside the legal limit, or None."""
    if not step_budgets:
        return "Phiên bản thủ tục phải có ít nhất một bước xử lý."
    total = Decimal(reception_hours) + Decimal(return_hours) + sum(step_budgets, Decimal(0))
    allowed = limit_hours(limit_value, limit_unit)
    if total > allowed:
        return (
            f"Tổng thời gian tiếp nhận ({_fmt(reception_hours)} giờ), các bước xử lý "
            f"({_fmt(sum(step_budgets, Decimal(0)))} giờ) và trả kết quả ({_fmt(return_hours)} giờ) "
            f"là {_fmt(total)} giờ làm việc, vượt thời hạn giải quyết theo quy định "
            f"({_fmt(allowed)} giờ làm việc)."
        )
    return None


def _fmt(value: Decimal) -> str:
    value = Decimal(value).normalize()
    text = format(value, "f")
    return text.replace(".", ",")


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    sectors: int = 0
    procedures_created: int = 0
    procedures_updated: int = 0
    versions_created: int = 0
    versions_updated: int = 0
    versions_unchanged: int = 0
    messages: list[str] = field(default_factory=list)


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[dict[str, str]]] = {}

    def add(self, path: str, message: str, code: str = "invalid") -> None:
        self.fields.setdefault(path, []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.fields)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _clean_version(raw: Any, path: str, who: str, errors: _Errors) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.add(path, f"{who}: mỗi phiên bản phải là một đối tượng JSON.")
        return None
    out: dict[str, Any] = {}
    try:
        out["effective_from"] = dt.date.fromisoformat(str(raw.get("effective_from", "")))
    except ValueError:
        errors.add(
            f"{path}.effective_from",
            f"{who}: ngày có hiệu lực phải có dạng YYYY-MM-DD, nhận được "
            f"{raw.get('effective_from')!r}.",
        )
    match = TIME_LIMIT_RE.match(str(raw.get("time_limit", "")))
    if not match:
        errors.add(
            f"{path}.time_limit",
            f"{who}: thời hạn giải quyết phải có dạng P<n>D (ngày làm việc) hoặc PT<n>H "
            f"(giờ làm việc), nhận được {raw.get('time_limit')!r}.",
        )
    elif match["days"]:
        out["limit_value"], out["limit_unit"] = int(match["days"]), LimitUnit.DAYS
    else:
        out["limit_value"], out["limit_unit"] = int(match["hours"]), LimitUnit.HOURS
    for name, default in (("reception_hours", 4), ("return_hours", 4)):
        value = _decimal(raw.get(name, default))
        if value is None or value < 0 or value > 9999:
            errors.add(f"{path}.{name}", f"{who}: {name} phải là số giờ không âm.")
        else:
            out[name] = value
    fee = raw.get("fee", 0)
    if not isinstance(fee, int) or isinstance(fee, bool) or fee < 0:
        errors.add(f"{path}.fee", f"{who}: phí, lệ phí phải là số nguyên đồng không âm.")
    else:
        out["fee"] = fee
    out["fee_note"] = str(raw.get("fee_note", ""))[:500]
    channels = raw.get("channels")
    valid_channels = set(Channel.values)
    if (
        not isinstance(channels, list)
        or not channels
        or any(c not in valid_channels for c in channels)
        or len(set(channels)) != len(channels)
    ):
        errors.add(
            f"{path}.channels",
            f"{who}: cách thức thực hiện phải là danh sách không rỗng gồm "
            f"{', '.join(Channel.values)}.",
        )
    else:
        out["channels"] = list(channels)
    if raw.get("online_level", "none") not in OnlineLevel.values:
        errors.add(
            f"{path}.online_level",
            f"{who}: mức độ trực tuyến phải là một trong {', '.join(OnlineLevel.values)}.",
        )
    else:
        out["online_level"] = raw.get("online_level", "none")
    result_kind = raw.get("result_kind")
    if not isinstance(result_kind, str) or not result_kind.strip() or len(result_kind) > 300:
        errors.add(f"{path}.result_kind", f"{who}: thiếu kết quả thực hiện (tối đa 300 ký tự).")
    else:
        out["result_kind"] = result_kind.strip()
    out["legal_basis"] = str(raw.get("legal_basis", ""))

    out["documents"] = _clean_documents(raw.get("documents", []), path, who, errors)
    out["steps"] = _clean_steps(raw.get("steps"), path, who, errors)

    if {"limit_value", "reception_hours", "return_hours"} <= out.keys() and out["steps"]:
        problem = budget_problem(
            limit_value=out["limit_value"],
            limit_unit=out["limit_unit"],
            reception_hours=out["reception_hours"],
            return_hours=out["return_hours"],
            step_budgets=[s["budget_hours"] for s in out["steps"]],
        )
        if problem:
            errors.add(f"{path}.steps", f"{who}: {problem}", code="step_budget_exceeds_limit")
    return out


def _clean_documents(raw: Any, path: str, who: str, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors.add(f"{path}.documents", f"{who}: thành phần hồ sơ phải là danh sách.")
        return []
    docs = []
    for i, doc in enumerate(raw):
        dpath = f"{path}.documents[{i}]"
        if not isinstance(doc, dict):
            errors.add(dpath, f"{who}: mỗi giấy tờ phải là một đối tượng JSON.")
            continue
        name = doc.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 500:
            errors.add(f"{dpath}.name", f"{who}: thiếu tên giấy tờ (tối đa 500 ký tự).")
        if doc.get("kind") not in DocumentKind.values:
            errors.add(
                f"{dpath}.kind",
                f"{who}: loại giấy tờ phải là một trong {', '.join(DocumentKind.values)}.",
            )
        quantity = doc.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 99:
            errors.add(f"{dpath}.quantity", f"{who}: số lượng phải là số nguyên từ 1 đến 99.")
        mandatory = doc.get("mandatory", True)
        if not isinstance(mandatory, bool):
            errors.add(f"{dpath}.mandatory", f"{who}: 'mandatory' phải là true hoặc false.")
        docs.append(
            {
                "order": i + 1,
                "name": str(name or "").strip(),
                "kind": doc.get("kind"),
                "quantity": quantity,
                "mandatory": mandatory,
                "note": str(doc.get("note", ""))[:500],
            }
        )
    return docs


def _clean_steps(raw: Any, path: str, who: str, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors.add(f"{path}.steps", f"{who}: phải có ít nhất một bước xử lý.", code="no_steps")
        return []
    steps, seen = [], set()
    for i, step in enumerate(raw):
        spath = f"{path}.steps[{i}]"
        if not isinstance(step, dict):
            errors.add(spath, f"{who}: mỗi bước phải là một đối tượng JSON.")
            continue
        order = step.get("order", i + 1)
        if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= 99:
            errors.add(f"{spath}.order", f"{who}: thứ tự bước phải là số nguyên từ 1 đến 99.")
        elif order in seen:
            errors.add(f"{spath}.order", f"{who}: thứ tự bước {order} bị trùng.")
        seen.add(order)
        name = step.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.add(f"{spath}.name", f"{who}: thiếu tên bước (tối đa 200 ký tự).")
        if step.get("role") not in StepRole.values:
            errors.add(
                f"{spath}.role",
                f"{who}: vai trò thực hiện phải là một trong {', '.join(StepRole.values)}.",
            )
        budget = _decimal(step.get("budget_hours"))
        if budget is None or budget <= 0 or budget > 9999:
            errors.add(
                f"{spath}.budget_hours",
                f"{who}: thời gian của bước phải là số giờ làm việc lớn hơn 0.",
            )
            budget = None
        if budget is not None:
            steps.append(
                {
                    "order": order,
                    "name": str(name or "").strip(),
                    "role": step.get("role"),
                    "budget_hours": budget,
                }
            )
    return sorted(steps, key=lambda s: s["order"]) if len(steps) == len(raw) else []


def _clean(data: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Tệp danh mục phải là một đối tượng JSON.", code="invalid_catalogue", field="$"
        )
    if data.get("format") != FORMAT:
        errors.add("format", f'Tệp danh mục phải có "format": "{FORMAT}".')
    sectors = []
    raw_sectors = data.get("sectors", [])
    if not isinstance(raw_sectors, list):
        errors.add("sectors", "'sectors' phải là danh sách.")
        raw_sectors = []
    for i, raw in enumerate(raw_sectors):
        if not isinstance(raw, dict) or not SECTOR_CODE_RE.match(str(raw.get("code", ""))):
            errors.add(f"sectors[{i}].code", "Mã lĩnh vực chỉ gồm chữ, số, '-', '_' (≤ 30 ký tự).")
            continue
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            errors.add(f"sectors[{i}].name", f"Lĩnh vực {raw['code']}: thiếu tên.")
            continue
        sectors.append({"code": raw["code"], "name": raw["name"].strip()[:200]})
    known_sectors = {s["code"] for s in sectors} | set(
        Sector.objects.values_list("code", flat=True)
    )

    procedures = []
    raw_procedures = data.get("procedures")
    if not isinstance(raw_procedures, list):
        errors.add("procedures", "'procedures' phải là danh sách.")
        raw_procedures = []
    seen_codes: set[str] = set()
    for i, raw in enumerate(raw_procedures):
        path = f"procedures[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, "Mỗi thủ tục phải là một đối tượng JSON.")
            continue
        code = str(raw.get("code", ""))
        who = f"Thủ tục {code or '(không mã)'}"
        if not PROCEDURE_CODE_RE.match(code):
            errors.add(f"{path}.code", f"{who}: mã thủ tục phải có dạng 1.001667.")
        elif code in seen_codes:
            errors.add(f"{path}.code", f"{who}: mã thủ tục xuất hiện hai lần trong tệp.")
        seen_codes.add(code)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 500:
            errors.add(f"{path}.name", f"{who}: thiếu tên thủ tục (tối đa 500 ký tự).")
        if raw.get("sector") not in known_sectors:
            errors.add(f"{path}.sector", f"{who}: lĩnh vực {raw.get('sector')!r} không tồn tại.")
        if raw.get("agency_kind") not in AgencyKind.values:
            errors.add(
                f"{path}.agency_kind",
                f"{who}: cơ quan có thẩm quyền phải là một trong {', '.join(AgencyKind.values)}.",
            )
        versions_raw = raw.get("versions")
        versions = []
        if not isinstance(versions_raw, list) or not versions_raw:
            errors.add(f"{path}.versions", f"{who}: phải có ít nhất một phiên bản.")
        else:
            dates: set[dt.date] = set()
            for j, vraw in enumerate(versions_raw):
                version = _clean_version(vraw, f"{path}.versions[{j}]", who, errors)
                if version and "effective_from" in version:
                    if version["effective_from"] in dates:
                        errors.add(
                            f"{path}.versions[{j}].effective_from",
                            f"{who}: hai phiên bản cùng ngày có hiệu lực.",
                        )
                    dates.add(version["effective_from"])
                    versions.append(version)
        procedures.append(
            {
                "code": code,
                "name": str(name or "").strip(),
                "sector": raw.get("sector"),
                "agency_kind": raw.get("agency_kind"),
                "active": bool(raw.get("active", True)),
                "versions": versions,
            }
        )
    if errors:
        first = next(iter(errors.fields.values()))[0]["message"]
        count = sum(len(v) for v in errors.fields.values())
        raise ValidationFailed(
            f"Tệp danh mục không hợp lệ ({count} lỗi), không có gì được ghi. Lỗi đầu tiên: {first}",
            code="invalid_catalogue",
            fields=errors.fields,
        )
    return sectors, procedures


def _version_snapshot(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "limit_value": version.limit_value,
        "limit_unit": version.limit_unit,
        "reception_hours": Decimal(version.reception_hours),
        "return_hours": Decimal(version.return_hours),
        "fee": version.fee,
        "fee_note": version.fee_note,
        "channels": list(version.channels),
        "online_level": version.online_level,
        "result_kind": version.result_kind,
        "legal_basis": version.legal_basis,
        "documents": [
            {
                "order": d.order,
                "name": d.name,
                "kind": d.kind,
                "quantity": d.quantity,
                "mandatory": d.mandatory,
                "note": d.note,
            }
            for d in version.documents.order_by("order")
        ],
        "steps": [
            {
                "order": s.order,
                "name": s.name,
                "role": s.role,
                "budget_hours": Decimal(s.budget_hours),
            }
            for s in version.steps.order_by("order")
        ],
    }


_VERSION_FIELDS = (
    "limit_value",
    "limit_unit",
    "reception_hours",
    "return_hours",
    "fee",
    "fee_note",
    "channels",
    "online_level",
    "result_kind",
    "legal_basis",
)


def catalogue_import(*, data: Any) -> ImportResult:
    """Validate the whole file, then write it in one transaction, or nothing.

    Procedures are matched by code, versions by (code, effective_from);
    versions absent from the file are kept. Idempotent.
    """
    sectors, procedures = _clean(data)
    result = ImportResult()
    with transaction.atomic():
        for s in sectors:
            Sector.objects.update_or_create(code=s["code"], defaults={"name": s["name"]})
            result.sectors += 1
        sector_ids = dict(Sector.objects.values_list("code", "id"))
        for p in procedures:
            procedure, created = Procedure.objects.get_or_create(
                code=p["code"],
                defaults={
                    "name": p["name"],
                    "sector_id": sector_ids[p["sector"]],
                    "agency_kind": p["agency_kind"],
                    "active": p["active"],
                },
            )
            if created:
                result.procedures_created += 1
            else:
                changed = False
                for attr, value in (
                    ("name", p["name"]),
                    ("sector_id", sector_ids[p["sector"]]),
                    ("agency_kind", p["agency_kind"]),
                    ("active", p["active"]),
                ):
                    if getattr(procedure, attr) != value:
                        setattr(procedure, attr, value)
                        changed = True
                if changed:
                    procedure.save()
                    result.procedures_updated += 1
            for v in p["versions"]:
                _write_version(procedure, v, result)
    return result


def _write_version(procedure: Procedure, v: dict[str, Any], result: ImportResult) -> None:
    version = ProcedureVersion.objects.filter(
        procedure=procedure, effective_from=v["effective_from"]
    ).first()
    wanted = {k: v[k] for k in (*_VERSION_FIELDS, "documents", "steps")}
    if version is not None and _version_snapshot(version) == wanted:
        result.versions_unchanged += 1
        return
    if version is None:
        version = ProcedureVersion(procedure=procedure, effective_from=v["effective_from"])
        result.versions_created += 1
    else:
        result.versions_updated += 1
    for attr in _VERSION_FIELDS:
        setattr(version, attr, v[attr])
    version.save()
    version.documents.all().delete()
    version.steps.all().delete()
    RequiredDocument.objects.bulk_create(
        RequiredDocument(version=version, **doc) for doc in v["documents"]
    )
    ProcessStep.objects.bulk_create(ProcessStep(version=version, **step) for step in v["steps"])


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def catalogue_export() -> dict[str, Any]:
    """The whole catalogue in the import format (round-trips through import)."""
    procedures = (
        Procedure.objects.select_related("sector")
        .prefetch_related("versions__documents", "versions__steps")
        .order_by("code")
    )
    return {
        "format": FORMAT,
        "sectors": [{"code": s.code, "name": s.name} for s in Sector.objects.order_by("code")],
        "procedures": [
            {
                "code": p.code,
                "name": p.name,
                "sector": p.sector.code,
                "agency_kind": p.agency_kind,
                "active": p.active,
                "versions": [
                    {
                        "effective_from": v.effective_from.isoformat(),
                        "time_limit": v.time_limit,
                        "reception_hours": _number(v.reception_hours),
                        "return_hours": _number(v.return_hours),
                        "fee": v.fee,
                        "fee_note": v.fee_note,
                        "channels": list(v.channels),
                        "online_level": v.online_level,
                        "result_kind": v.result_kind,
                        "legal_basis": v.legal_basis,
                        "documents": [
                            {
                                "name": d.name,
                                "kind": d.kind,
                                "quantity": d.quantity,
                                "mandatory": d.mandatory,
                                "note": d.note,
                            }
                            for d in sorted(v.documents.all(), key=lambda d: d.order)
                        ],
                        "steps": [
                            {
                                "order": s.order,
                                "name": s.name,
                                "role": s.role,
                                "budget_hours": _number(s.budget_hours),
                            }
                            for s in sorted(v.steps.all(), key=lambda s: s.order)
                        ],
                    }
                    for v in sorted(p.versions.all(), key=lambda v: v.effective_from)
                ],
            }
            for p in procedures
        ],
    }
