"""The server process hides its start-up objects from the garbage collector
(``config/startup.py``): a full collection inside a request then walks only
what was made since, not the ~170,000 objects Django and the apps left."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["config.asgi", "config.wsgi"])
def test_server_entry_points_freeze_start_up_objects(module):
    probe = f"import gc, {module}; print(gc.get_freeze_count(), sum(gc.get_count()))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, pending = int(out[0]), int(out[1])
    assert frozen > 50_000, frozen
    assert pending < 1_000, pending
