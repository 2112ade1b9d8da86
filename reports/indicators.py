"""Decision 766/QĐ-TTg indicators for a scope and a period.

Each indicator carries its formula, its inputs (named as the national data
names them: NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, KenhThucHien, …), its
points and the scoring rule, and says which parts come from the legal text and
which are configuration (``settings.INDICATORS_766``).

Scoring rule (all indicators): full points when the rate is at or above the
threshold, otherwise ``points × rate ÷ threshold``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum

from config.clock import LOCAL_TZ
from reports.periods import Period
from reports.selectors import CHANNELS, Scope, _link, by_procedure, open_q, overdue_q
from workflows.models import ReturnMethod, SupplementRequest
from workflows.services.outcomes import extension_moves_appointment

DEFAULTS: dict[str, Any] = {
    # Not settled in the legal text: whether the one new appointment (apology
    # letter, Decree 118 Art. 19(6)) moves NgayHenTra for the indicator.
    "extension_moves_appointment": False,
    # Not settled: whether dossiers still within their deadline at the
    # period's end count (as on time) in 2.1, or wait until they end.
    "unfinished_within_deadline_counted": False,
    "on_time": {"points": 20, "threshold": 100.0},
    "processing_time": {"points": 0, "threshold": 100.0},
    "online": {"points": 0, "threshold": 50.0},
    "digitised": {"points": 0, "threshold": 100.0},
    "satisfaction": {"points": 18, "threshold": 100.0},
}

#: Which parts of each indicator the legal text settles (shown on the page).
LEGAL = {
    "on_time": {
        "formula": True,
        "points": True,
        "threshold": False,
    },
    "processing_time": {"formula": True, "points": False, "threshold": False},
    "online": {"formula": True, "points": False, "threshold": False},
    "digitised": {"formula": True, "points": False, "threshold": False},
    "satisfaction": {"formula": True, "points": True, "threshold": False},
}


def config() -> dict[str, Any]:
    merged = {**DEFAULTS}
    for key, value in getattr(settings, "INDICATORS_766", {}).items():
        merged[key] = {**merged[key], **value} if isinstance(value, dict) else value
    return merged


def score(rate: float | None, *, points: float, threshold: float) -> float | None:
    """Full points at or above the threshold, otherwise proportional."""
    if rate is None:
        return None
    if threshold <= 0 or rate >= threshold:
        return float(points)
    return round(points * rate / threshold, 2)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


#: What each input is, in words (the API's keys stay the national data's or ASCII).
INPUT_LABELS = {
    "da_ket_thuc": "Hồ sơ kết thúc xử lý trong kỳ",
    "truoc_han": "— trước hạn",
    "dung_han": "— đúng hạn",
    "tre_han": "— trễ hạn",
    "tre_han_do_bo_sung_lan_2": "— trong đó trễ vì có từ 2 lần yêu cầu bổ sung",
    "chua_ket_thuc_qua_han": "Chưa kết thúc, đã quá hạn ở cuối kỳ",
    "chua_ket_thuc_trong_han": "Chưa kết thúc, còn trong hạn ở cuối kỳ",
    "tu_so": "Tử số",
    "mau_so": "Mẫu số",
    "so_thu_tuc": "Số thủ tục có hồ sơ giải quyết trong kỳ",
    "so_thu_tuc_trong_thoi_han": "Số thủ tục có thời gian trung bình trong thời hạn",
    "KenhThucHien_1": "Tiếp nhận trực tiếp (KenhThucHien = 1)",
    "KenhThucHien_2": "Tiếp nhận trực tuyến (KenhThucHien = 2)",
    "KenhThucHien_3": "Tiếp nhận qua bưu chính (KenhThucHien = 3)",
    "tong_tiep_nhan": "Tổng số hồ sơ tiếp nhận trong kỳ",
    "tra_ket_qua": "Hồ sơ trả kết quả trong kỳ",
    "tra_ket_qua_dien_tu": "— trả kết quả điện tử",
    "DuocSoHoa": "Hồ sơ được số hóa (DuocSoHoa)",
    "tong_so": "Tổng số hồ sơ (kết thúc xử lý trong kỳ)",
    "khong_hai_long": "Không hài lòng",
    "phan_anh_kien_nghi": "Bị phản ánh, kiến nghị",
}


def _indicator(key: str, *, code: str, name: str, formula: str, inputs: dict, rate, cfg) -> dict:
    rule = cfg[key]
    legal = LEGAL[key]
    for input_key, entry in inputs.items():
        entry["label"] = INPUT_LABELS.get(input_key, input_key)
    return {
        "key": key,
        "code": code,
        "name": name,
        "formula": formula,
        "inputs": inputs,
        "rate": rate,
        "points": rule["points"],
        "threshold": rule["threshold"],
        "score": score(rate, points=rule["points"], threshold=rule["threshold"]),
        "settled": legal,
        "configured": sorted(k for k, v in legal.items() if not v),
    }


def indicators_766(scope: Scope, period: Period, *, at: dt.datetime) -> dict[str, Any]:
    cfg = config()
    last_day = min(period.end, at.astimezone(LOCAL_TZ).date())
    base = scope.query()
    two_requests = Q(
        pk__in=SupplementRequest.objects.values("dossier_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values("dossier_id")
    )
    # what ended, was received, returned and rated: the per-day counts
    n = defaultdict(int)
    for r in (
        scope.counts("ended", period.start, last_day)
        .exclude(verdict_766="")
        .values("verdict_766", "extra")
        .annotate(total=Sum("n"))
    ):
        n["ended"] += r["total"]
        n[f"ended_{r['verdict_766']}"] += r["total"]
        if r["extra"] == "second_request" and r["verdict_766"] == "late":
            n["second_request"] += r["total"]
    for r in (
        scope.counts("received", period.start, last_day).values("channel").annotate(total=Sum("n"))
    ):
        n["received"] += r["total"]
        n[f"channel_{r['channel']}"] += r["total"]
    for r in (
        scope.counts("returned", period.start, last_day).values("extra").annotate(total=Sum("n"))
    ):
        n["returned"] += r["total"]
        if r["extra"] == ReturnMethod.ELECTRONIC:
            n["returned_electronic"] += r["total"]
    n["dissatisfied"] = (
        scope.counts("rating", period.start, last_day)
        .exclude(verdict_766="")
        .filter(extra="dissatisfied")
        .aggregate(total=Sum("n"))["total"]
        or 0
    )
    # what is still open at the period's end: the dossiers themselves
    unfinished = scope.dossiers.filter(open_q(period, at=at))
    overdue = unfinished.filter(overdue_q(period, at=at))
    n["unfinished"] = unfinished.count()
    # late: overdue at the end, or (not overdue) with a second supplement request
    n["unfinished_late"] = overdue.count() + (
        unfinished.filter(two_requests).exclude(pk__in=overdue.values("pk")).count()
    )
    unfinished_on_time = n["unfinished"] - n["unfinished_late"]
    counted_on_time = n["ended_early"] + n["ended_on_time"]
    whole = n["ended"] + n["unfinished_late"]
    if cfg["unfinished_within_deadline_counted"]:
        counted_on_time += unfinished_on_time
        whole += unfinished_on_time
    ended_range = {"ended_from": period.start, "ended_to": last_day}

    def link(**kw):
        return _link(**kw, **base)

    on_time = _indicator(
        "on_time",
        code="2.1",
        name="Tỷ lệ hồ sơ giải quyết đúng hạn",
        formula=(
            "(số hồ sơ có NgayKetThucXuLy ≤ NgayHenTra trong kỳ, trước hạn và đúng hạn) ÷ "
            "(số hồ sơ kết thúc xử lý trong kỳ + số hồ sơ chưa kết thúc, đã quá hạn ở cuối kỳ)"
            + (
                " — hồ sơ chưa kết thúc còn trong hạn được tính là đúng hạn"
                if cfg["unfinished_within_deadline_counted"]
                else ""
            )
            + ". NgayHenTra = thời điểm bắt đầu tính + thời hạn luật định + thời gian chờ "
            "công dân bổ sung (trừ thời gian chờ)"
            + (
                "; có tính thời gian gia hạn"
                if extension_moves_appointment()
                else "; không tính thời gian gia hạn (văn bản xin lỗi)"
            )
            + ". Hồ sơ có từ 2 lần yêu cầu bổ sung trở lên là trễ hạn."
        ),
        inputs={
            "da_ket_thuc": {"value": n["ended"], "link": link(**ended_range)},
            "truoc_han": {
                "value": n["ended_early"],
                "link": link(**ended_range, verdict_766="early"),
            },
            "dung_han": {
                "value": n["ended_on_time"],
                "link": link(**ended_range, verdict_766="on_time"),
            },
            "tre_han": {
                "value": n["ended_late"],
                "link": link(**ended_range, verdict_766="late"),
            },
            "tre_han_do_bo_sung_lan_2": {"value": n["second_request"], "link": None},
            "chua_ket_thuc_qua_han": {
                "value": n["unfinished_late"],
                "link": None,
            },
            "chua_ket_thuc_trong_han": {"value": unfinished_on_time, "link": None},
            "tu_so": {"value": counted_on_time, "link": None},
            "mau_so": {"value": whole, "link": None},
        },
        rate=_rate(counted_on_time, whole),
        cfg=cfg,
    )
    procedures = by_procedure(scope, period, at=at)
    legal_days = _legal_days({p["code"] for p in procedures}, on=last_day)
    within = 0
    for p in procedures:
        p["legal_days"] = legal_days.get(p["code"])
        p["within_legal"] = (
            p["average_days"] is not None
            and p["legal_days"] is not None
            and p["average_days"] <= p["legal_days"]
        )
        within += p["within_legal"]
    processing = _indicator(
        "processing_time",
        code="2.2",
        name="Thời gian giải quyết trung bình của từng thủ tục",
        formula=(
            "Với mỗi thủ tục: trung bình (NgayKetThucXuLy − NgayTiepNhan, tính bằng ngày làm việc, "
            "trừ thời gian chờ bổ sung) của các hồ sơ đã có kết quả trong kỳ; tỷ lệ = số thủ tục có "
            "thời gian trung bình không vượt thời hạn luật định ÷ số thủ tục"
        ),
        inputs={
            "so_thu_tuc": {"value": len(procedures), "link": None},
            "so_thu_tuc_trong_thoi_han": {"value": within, "link": None},
        },
        rate=_rate(within, len(procedures)),
        cfg=cfg,
    )
    processing["procedures"] = procedures
    online = _indicator(
        "online",
        code="4",
        name="Tỷ lệ hồ sơ tiếp nhận trực tuyến",
        formula="số hồ sơ KenhThucHien = 2 (trực tuyến) ÷ tổng số hồ sơ tiếp nhận trong kỳ",
        inputs={
            **{
                f"KenhThucHien_{number}": {
                    "value": n[f"channel_{channel}"],
                    "link": link(received_from=period.start, received_to=last_day, channel=channel),
                }
                for channel, number in CHANNELS
            },
            "tong_tiep_nhan": {
                "value": n["received"],
                "link": link(received_from=period.start, received_to=last_day),
            },
        },
        rate=_rate(n["channel_online"], n["received"]),
        cfg=cfg,
    )
    digitised = _indicator(
        "digitised",
        code="3",
        name="Tỷ lệ trả kết quả điện tử",
        formula=(
            "số hồ sơ trả kết quả trong kỳ bằng hình thức điện tử ÷ số hồ sơ trả kết quả trong kỳ. "
            "Tỷ lệ số hóa hồ sơ (DuocSoHoa) chưa tính được: motcua chưa ghi nhận giấy tờ đã số hóa."
        ),
        inputs={
            "tra_ket_qua": {"value": n["returned"], "link": None},
            "tra_ket_qua_dien_tu": {"value": n["returned_electronic"], "link": None},
            "DuocSoHoa": {"value": None, "link": None},
        },
        rate=_rate(n["returned_electronic"], n["returned"]),
        cfg=cfg,
    )
    satisfied = n["ended"] - n["dissatisfied"] - n["ended_late"]
    satisfaction = _indicator(
        "satisfaction",
        code="5",
        name="Mức độ hài lòng trong tiếp nhận, giải quyết hồ sơ",
        formula=(
            "(tổng số hồ sơ − số hồ sơ không hài lòng − số hồ sơ bị phản ánh, kiến nghị − số hồ sơ "
            "trễ hạn) ÷ tổng số hồ sơ; tổng số = hồ sơ kết thúc xử lý trong kỳ. motcua chưa ghi "
            "nhận phản ánh, kiến nghị nên số đó là 0."
        ),
        inputs={
            "tong_so": {"value": n["ended"], "link": link(**ended_range)},
            "khong_hai_long": {
                "value": n["dissatisfied"],
                "link": link(**ended_range, rating="dissatisfied"),
            },
            "phan_anh_kien_nghi": {"value": 0, "link": None},
            "tre_han": {
                "value": n["ended_late"],
                "link": link(**ended_range, verdict_766="late"),
            },
        },
        rate=_rate(max(0, satisfied), n["ended"]),
        cfg=cfg,
    )
    items = [on_time, processing, digitised, online, satisfaction]
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "at": at.isoformat(),
        "centre": scope.centre.code if scope.centre else None,
        "fields": {
            "NgayTiepNhan": "received_at",
            "NgayHenTra": "thời điểm hẹn trả theo QĐ 766 (xem công thức 2.1)",
            "NgayKetThucXuLy": "ended_at (có kết quả, hoặc trả, dừng, từ chối, rút)",
            "KenhThucHien": "1 trực tiếp, 2 trực tuyến, 3 bưu chính",
        },
        "configuration": {
            "extension_moves_appointment": cfg["extension_moves_appointment"],
            "unfinished_within_deadline_counted": cfg["unfinished_within_deadline_counted"],
        },
        "indicators": items,
        "total_score": round(sum(i["score"] or 0 for i in items), 2),
        "total_points": sum(i["points"] for i in items),
    }


def _legal_days(codes: set[str], *, on: dt.date) -> dict[str, float]:
    """The legal time limit in working days of each procedure's version in force."""
    from procedures.models import STANDARD_DAY_HOURS, LimitUnit, ProcedureVersion

    out: dict[str, float] = {}
    for v in (
        ProcedureVersion.objects.filter(procedure__code__in=codes, effective_from__lte=on)
        .select_related("procedure")
        .order_by("procedure__code", "effective_from")
    ):
        days = (
            v.limit_value if v.limit_unit == LimitUnit.DAYS else v.limit_value / STANDARD_DAY_HOURS
        )
        out[v.procedure.code] = float(days)
    return out
