"""How fast is ``due_at``, and how much do the cumulative tables buy?

Runs without Django: ``.venv/bin/python benchmarks/bench_worktime.py`` prints
JSON. Random starts in 2025-2027 and random budgets of up to 30 working days
on the default calendar; the engine (table + bisect) is compared with a naive
reference that walks day by day over ``calendar.sessions_on(day)`` spending
the budget session by session. Both must give the same answer on every
sample. The box is a noisy 2-core machine, so each figure is the median of
several measurements, engine and naive interleaved, with the garbage
collector paused while timing (as ``timeit`` does).
"""

from __future__ import annotations

import gc
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workflows.worktime import (  # after the path set-up above
    LOCAL_TZ,
    WorkDuration,
    WorkingCalendar,
    due_at,
)

SAMPLES = 20_000
SEED = 20250701
ENGINE_PASSES = 3  # passes over the samples per engine measurement
MEASUREMENTS = 7  # the engine's figure is the median of this many
NAIVE_MEASUREMENTS = 3
GOAL = {"per_second": 100_000, "ratio": 20}

Sample = tuple[datetime, WorkDuration]


def samples(count: int = SAMPLES, seed: int = SEED) -> list[Sample]:
    """Any minute of 2025-2027; budgets of 1 minute to 30 working days."""
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, tzinfo=LOCAL_TZ)
    minutes_in_span = (datetime(2028, 1, 1, tzinfo=LOCAL_TZ) - first) // timedelta(minutes=1)
    drawn = []
    for _ in range(count):
        start = first + timedelta(minutes=rng.randrange(minutes_in_span))
        budget = rng.randint(1, 30 * 8 * 60)  # minutes of an 8-hour working day
        drawn.append((start, WorkDuration(days=budget // 480, seconds=budget % 480 * 60)))
    return drawn


def naive_due_at(start: datetime, duration: WorkDuration, calendar: WorkingCalendar) -> datetime:
    """The obvious algorithm: walk day by day, spending the budget session by session."""
    remaining = duration.to_seconds(calendar)
    cursor = start.astimezone(calendar.tz).replace(microsecond=0)
    day = cursor.date()
    while True:
        for opens, closes in calendar.sessions_on(day):
            begin = datetime.combine(day, opens, tzinfo=calendar.tz)
            end = datetime.combine(day, closes, tzinfo=calendar.tz)
            if end < cursor or (end == cursor and remaining > 0):
                continue
            begin = max(begin, cursor)
            available = (end - begin) // timedelta(seconds=1)
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz)


def _engine_pass(inputs: list[Sample], calendar: WorkingCalendar) -> None:
    for start, duration in inputs:
        due_at(start=start, duration=duration, calendar=calendar)


def _naive_pass(inputs: list[Sample], calendar: WorkingCalendar) -> None:
    for start, duration in inputs:
        naive_due_at(start, duration, calendar)


def _rate(work: Callable[[], None], calls: int) -> float:
    """Calls per second of one measurement, the collector paused."""
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        work()
        elapsed = time.perf_counter() - began
    finally:
        gc.enable()
    return calls / elapsed


def run() -> dict:
    began = time.perf_counter()
    calendar = WorkingCalendar.default()
    inputs = samples()
    for start, duration in inputs:  # same answers, or the comparison means nothing
        engine = due_at(start=start, duration=duration, calendar=calendar)
        naive = naive_due_at(start, duration, calendar)
        assert engine == naive, (start, duration, engine, naive)

    def engine_work() -> None:
        for _ in range(ENGINE_PASSES):
            _engine_pass(inputs, calendar)

    engine_rates, naive_rates = [], []
    for round_ in range(MEASUREMENTS):
        engine_rates.append(_rate(engine_work, ENGINE_PASSES * len(inputs)))
        if round_ < NAIVE_MEASUREMENTS:
            naive_rates.append(_rate(lambda: _naive_pass(inputs, calendar), len(inputs)))
    engine_per_second = statistics.median(engine_rates)
    naive_per_second = statistics.median(naive_rates)
    ratio = engine_per_second / naive_per_second
    return {
        "name": "worktime.due_at",
        "engine_per_second": round(engine_per_second),
        "naive_per_second": round(naive_per_second),
        "ratio": round(ratio, 1),
        "samples": len(inputs),
        "repeats": ENGINE_PASSES,
        "median_of": MEASUREMENTS,
        "naive_median_of": NAIVE_MEASUREMENTS,
        "agree": True,
        "goal": GOAL,
        "meets_goal": engine_per_second >= GOAL["per_second"] and ratio >= GOAL["ratio"],
        "engine_rates": [round(rate) for rate in engine_rates],
        "naive_rates": [round(rate) for rate in naive_rates],
        "python": platform.python_version(),
        "seconds": round(time.perf_counter() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
