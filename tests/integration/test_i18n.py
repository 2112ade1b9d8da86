"""Vietnamese first, English available."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from procedures.models import Role
from workflows.models import Dossier, DossierStatus


def test_labels_in_both_languages():
    with translation.override("en"):
        assert str(DossierStatus.AWAITING_SUPPLEMENT.label) == "Awaiting supplement"
        assert str(Role.RECEIVER.label) == "One-stop desk officer"
        assert str(Dossier._meta.verbose_name_plural) == "dossiers"
    with translation.override("vi"):
        assert str(DossierStatus.AWAITING_SUPPLEMENT.label) == "Chờ bổ sung"
        assert str(Dossier._meta.verbose_name_plural) == "hồ sơ"


@pytest.mark.django_db
def test_admin_follows_accept_language():
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/admin/login/")
    assert english["Content-Language"] == "en" and "Log in" in english.content.decode()
    vietnamese = Client().get("/admin/login/")
    assert vietnamese["Content-Language"] == "vi" and "Đăng nhập" in vietnamese.content.decode()
