from __future__ import annotations

from django.contrib.auth.models import User

from procedures.models import ServiceCentre, Unit
from procedures.selectors import can_see_centre, centres_visible_to, units_visible_to


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_officers_see_only_their_centres_and_units(demo):
    receiver = _user("hacthanh.motcua")
    assert list(centres_visible_to(receiver).values_list("code", flat=True)) == ["14797"]
    assert list(units_visible_to(receiver).values_list("code", flat=True)) == ["mot-cua"]
    assert units_visible_to(receiver).get().agency.code == "ubnd-14797"

    handler = _user("samson.bhxh.chuyenvien")
    assert list(centres_visible_to(handler).values_list("code", flat=True)) == ["16531"]
    assert not can_see_centre(handler, ServiceCentre.objects.get(code="14797"))


def test_manager_sees_every_unit_of_their_centre_only(demo):
    manager = _user("hatrung.quanly")
    units = units_visible_to(manager)
    assert units.count() == 6
    assert set(units.values_list("agency__code", flat=True)) == {"ubnd-15271", "bhxh-15271"}
    assert list(centres_visible_to(manager).values_list("code", flat=True)) == ["15271"]


def test_only_the_superuser_sees_everything(demo):
    admin = _user("admin")
    assert centres_visible_to(admin).count() == 3
    assert units_visible_to(admin).count() == Unit.objects.count() == 18
    # a centre's administrator is scoped to its centre like everyone else
    administrator = _user("hacthanh.quantri")
    assert list(centres_visible_to(administrator).values_list("code", flat=True)) == ["14797"]
    assert set(units_visible_to(administrator).values_list("agency__code", flat=True)) == {
        "ubnd-14797",
        "bhxh-14797",
    }


def test_province_scope_covers_every_centre_of_the_province(demo):
    officer = _user("samson.quanly").officer
    officer.province_scope_id = "38"
    officer.save()
    assert centres_visible_to(_user("samson.quanly")).count() == 3


def test_strangers_see_nothing(demo):
    plain = User.objects.create_user("citizen", password="x" * 12)
    assert not centres_visible_to(plain).exists()
    assert not units_visible_to(plain).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not centres_visible_to(AnonymousUser()).exists()
