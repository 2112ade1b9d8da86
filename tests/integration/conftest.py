from __future__ import annotations

import pytest

from procedures.services import demo_seed, divisions_load


@pytest.fixture
def divisions(db):
    """Loaded once per session; reloaded only if a transactional test flushed them."""
    from procedures.models import Commune

    if Commune.objects.count() != 3321:
        divisions_load()


@pytest.fixture
def demo(divisions):
    """The demo directory and catalogue (Thanh Hóa, three centres)."""
    return demo_seed(password="motcua-demo-pass")
