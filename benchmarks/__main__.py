"""``make bench``: run every benchmark and print one JSON list on stdout.

Each module ``benchmarks/bench_*.py`` defines ``run() -> dict``. Progress
goes to stderr; stdout is only the JSON. ``python -m benchmarks worktime``
runs the benchmarks whose name contains ``worktime``.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    results, failed = [], False
    for name in names:
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            result = module.run()
        except Exception as e:  # report and go on: one broken benchmark should not hide the rest
            traceback.print_exc()
            result = {"name": name, "error": f"{type(e).__name__}: {e}"}
            failed = True
        result.setdefault("seconds", round(time.perf_counter() - started, 1))
        results.append(result)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
