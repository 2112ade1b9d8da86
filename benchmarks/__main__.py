"""``make bench``: run every benchmark and print one JSON list on stdout.

Each module ``benchmarks/bench_*.py`` defines ``run() -> dict`` and runs in a
fresh Python process (each sets Django up on its own throwaway database).
Progress goes to stderr; stdout is only the JSON. ``python -m benchmarks
worktime`` runs the benchmarks whose name contains ``worktime``.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

_CHILD = (
    "import json, sys, importlib; "
    "result = importlib.import_module('benchmarks.' + sys.argv[1]).run(); "
    "sys.stdout.write('\\n@@RESULT@@' + json.dumps(result, ensure_ascii=False))"
)


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
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, name],
            cwd=here.parent,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        _, marker, payload = child.stdout.rpartition("@@RESULT@@")
        if child.returncode == 0 and marker:
            result = json.loads(payload)
        else:  # report and go on: one broken benchmark should not hide the rest
            result = {"name": name, "error": f"exit status {child.returncode}; see stderr"}
            failed = True
        result.setdefault("seconds", round(time.perf_counter() - started, 1))
        results.append(result)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
