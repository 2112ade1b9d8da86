"""Demo dossiers: the last weeks of the three demo centres, so that ``make run``
shows a manager real figures (issue 10) and an officer a real inbox.

Every dossier goes through the same services an officer uses, each action at
its own moment in the past (``config.clock.frozen``): received in person,
online or by post; claimed, appraised, approved and returned, some late; some
waiting for a supplement, withdrawn, refused, given a new appointment; some
still in a queue or held. Deterministic (a seeded generator); an action whose
moment has not come yet is not taken, so recent dossiers stay open.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from config.clock import LOCAL_TZ, frozen, now

#: (procedure, agency key, its time limit in working days) received at every demo centre
PROCEDURES = [
    ("1.001667", "bhxh", 7),
    ("2.000693", "bhxh", 5),
    ("1.004873", "ubnd", 3),
    ("1.000894", "ubnd", 1),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Ngọc", "Đức", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh"]
#: (fate, weight)
FATES = [
    ("returned", 50),
    ("returned_late", 8),
    ("result_ready", 7),
    ("queue", 6),
    ("held", 9),
    ("supplement_waiting", 4),
    ("supplement_resolved", 5),
    ("withdrawn", 3),
    ("refused", 3),
    ("extended", 3),
]


@dataclass
class DemoDossiers:
    created: int = 0
    actions: int = 0


def _people(short: str, agency: str) -> dict[str, str]:
    infix = ".bhxh" if agency == "bhxh" else ""
    return {
        "desk": f"{short}{infix}.motcua",
        "handler": f"{short}{infix}.chuyenvien",
        "leader": f"{short}{infix}.lanhdao",
    }


def _working_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    minute = rng.choice([7 * 60 + 40, 8 * 60 + 15, 9 * 60, 10 * 60 + 10, 14 * 60, 15 * 60 + 20])
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=LOCAL_TZ)


def _later(at: dt.datetime, *, days: int = 0, hours: float = 0) -> dt.datetime:
    """``days`` weekdays and ``hours`` hours later (weekends skipped; near enough
    for a demo, the services judge the real working time)."""
    moment = at
    while days > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    moment += dt.timedelta(hours=hours)
    local = moment.astimezone(LOCAL_TZ)
    if local.hour >= 17 or local.weekday() >= 5:  # after hours: the next working morning
        local = local.replace(hour=7, minute=45) + dt.timedelta(days=1)
        while local.weekday() >= 5:
            local += dt.timedelta(days=1)
    elif (local.hour == 11 and local.minute > 30) or local.hour == 12:  # lunch
        local = local.replace(hour=13, minute=40)
    return local


def demo_dossiers(*, days: int = 40, per_day: int = 2, seed: int = 766) -> DemoDossiers:
    """``per_day`` dossiers a working day at each demo centre over ``days`` days."""
    from django.contrib.auth.models import User

    from procedures.services.demo import DEMO_CENTRES
    from workflows.models import Dossier
    from workflows.services.actions import dossier_act
    from workflows.services.endings import dossier_rate
    from workflows.services.intake import Applicant, dossier_receive

    rng = random.Random(seed)
    result = DemoDossiers()
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    end = now()
    today = end.astimezone(LOCAL_TZ).date()
    fates, weights = zip(*FATES, strict=True)
    n = 0
    for back in range(days, -1, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for commune, short, _ in DEMO_CENTRES:
            for _ in range(per_day):
                n += 1
                procedure, agency, limit = PROCEDURES[rng.randrange(len(PROCEDURES))]
                who = {role: users[name] for role, name in _people(short, agency).items()}
                at = _working_moment(rng, day)
                if at >= end:
                    continue
                fate = rng.choices(fates, weights)[0]
                channel = rng.choices(["in_person", "online", "postal"], [70, 25, 5])[0]
                with frozen(at):
                    receipt = dossier_receive(
                        actor=who["desk"],
                        procedure=procedure,
                        centre=commune,
                        channel=channel,
                        applicant=Applicant(
                            full_name=f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                            id_number=f"0380{n:08d}",
                            phone=f"09{n:08d}",
                            address=f"Thôn {1 + n % 9}, xã {short}",
                        ),
                    )
                result.created += 1
                code = receipt.dossier.code
                script = _script(rng, fate, channel, at, limit)
                for moment, role, action, kwargs in script:
                    if moment >= end:
                        break
                    if action == "extend":
                        due = Dossier.objects.get(code=code).clock_due_at
                        kwargs = {**kwargs, "new_due_at": _later(due, days=3)}
                    with frozen(moment):
                        if action == "rate":
                            dossier_rate(code=code, **kwargs)
                        else:
                            dossier_act(actor=who[role], code=code, action=action, **kwargs)
                    result.actions += 1
    return result


def _script(rng: random.Random, fate: str, channel: str, at: dt.datetime, limit: int) -> list:
    steps: list = []
    t = at
    if channel != "in_person":
        t = _later(t, hours=rng.choice([0.5, 1, 2]))
        steps.append((t, "desk", "accept", {}))
    if fate == "queue":
        return steps
    t = _later(t, hours=rng.choice([0.5, 1, 3]))
    steps.append((t, "handler", "claim", {}))
    if fate == "held":
        return steps
    if fate == "refused":
        t = _later(t, hours=2)
        return [*steps, (t, "handler", "refuse", {"reason": "Không đủ điều kiện theo quy định"})]
    if fate == "withdrawn":
        t = _later(t, days=1)
        return [*steps, (t, "desk", "withdraw", {"reason": "Công dân không còn nhu cầu"})]
    if fate.startswith("supplement"):
        t = _later(t, hours=4)
        steps.append(
            (
                t,
                "handler",
                "request-supplement",
                {"reason": "Thiếu giấy tờ", "items": ["Bản sao giấy khai sinh"]},
            )
        )
        if fate == "supplement_waiting":
            return steps
        t = _later(t, days=rng.choice([1, 2, 4]))
        steps.append((t, "desk", "supplement", {"note": "Công dân đã nộp bổ sung"}))
    if fate == "extended":
        t = _later(at, days=max(0, limit - 2), hours=1)
        steps.append((t, "leader", "extend", {"reason": "Cần xác minh thêm thông tin"}))
    if fate == "returned_late":
        appraisal, hours = limit + rng.choice([1, 2, 3]), 0
    elif fate == "extended":
        appraisal, hours = limit + 1, 0
    elif limit <= 1:
        appraisal, hours = 0, rng.choice([1, 2, 3])
    else:
        appraisal, hours = rng.randrange(0, limit - 1), rng.choice([0, 1, 2])
    t = _later(t, days=appraisal, hours=hours)
    steps.append((t, "handler", "advance", {"note": "Đủ điều kiện"}))
    t = _later(t, hours=rng.choice([0.5, 1, 2]))
    steps += [
        (t, "leader", "claim", {}),
        (t + dt.timedelta(minutes=20), "leader", "advance", {"result": "Đã giải quyết"}),
    ]
    if fate == "result_ready":
        return steps
    t = _later(t, days=rng.choice([0, 1, 1, 2]), hours=1)
    steps.append(
        (t, "desk", "return", {"method": rng.choice(["counter", "counter", "post", "electronic"])})
    )
    if rng.random() < 0.5:
        score = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], [60, 30, 10])[0]
        steps.append((t + dt.timedelta(hours=1), "desk", "rate", {"score": score}))
    return steps
