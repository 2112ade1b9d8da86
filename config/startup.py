"""What a server process does once, after Django is loaded and before it serves.

``freeze_startup_objects``: Django, the apps, the URL resolvers and the
administrative divisions leave some 170,000 objects that live as long as the
process. Python's oldest-generation garbage collection walks all of them, and
one such walk (50–150 ms on a 2-core machine) landing inside a request was the
whole of the inbox's p95 in the benchmark (issue 9). ``gc.freeze()`` moves
them out of the collector's sight; objects made later are collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
