from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from config.errors import NotFound, ValidationFailed
from procedures.models import Commune, Officer, Province, Role, ServiceCentre
from procedures.services import centre_open, divisions_load, officers_import


@pytest.mark.django_db
def test_divisions_load_counts_and_is_idempotent():
    Commune.objects.all().delete()
    Province.objects.all().delete()
    first = divisions_load()
    assert (first.provinces, first.communes) == (34, 3321)
    assert first.created_provinces == 34 and first.created_communes == 3321
    assert Commune.objects.filter(province_id="38").count() == 166  # Thanh Hóa
    assert Commune.objects.filter(division_type="xã").count() == 2621
    assert Commune.objects.filter(division_type="phường").count() == 687
    assert Commune.objects.filter(division_type="đặc khu").count() == 13
    assert Province.objects.get(code="38").name == "Thanh Hóa"

    again = divisions_load()
    assert (again.created_provinces, again.created_communes, again.updated) == (0, 0, 0)
    assert Commune.objects.count() == 3321


@pytest.mark.django_db
def test_divisions_load_repairs_a_changed_name():
    divisions_load()
    Commune.objects.filter(code="14797").update(name="Tên sai")
    assert divisions_load().updated == 1
    assert Commune.objects.get(code="14797").name == "Phường Hạc Thành"


def test_centre_open_defaults(divisions):
    centre = centre_open(commune="14797")
    assert centre.code == "14797"
    assert centre.identifier == "38.14797"
    assert centre.office_hours[0] == [["07:30", "11:30"], ["13:30", "17:30"]]
    assert centre.office_hours[5] == [] and centre.office_hours[6] == []
    assert centre_open(commune="14797").pk == centre.pk  # idempotent


def test_centre_open_unknown_commune_and_bad_identifier(divisions):
    with pytest.raises(NotFound) as e:
        centre_open(commune="99999")
    assert e.value.code == "unknown_commune"
    with pytest.raises(ValidationFailed) as e:
        centre_open(commune="16531", identifier="BAD-ID")
    assert e.value.code == "invalid_identifier"
    assert not ServiceCentre.objects.filter(code="16531").exists()


def test_demo_seed_is_idempotent(demo, divisions):
    from procedures.services import demo_seed

    counts = (ServiceCentre.objects.count(), Officer.objects.count(), User.objects.count())
    demo_seed(password="motcua-demo-pass")
    assert (ServiceCentre.objects.count(), Officer.objects.count(), User.objects.count()) == counts
    assert counts[0] == 3
    for centre in ServiceCentre.objects.all():
        roles = set(Officer.objects.filter(centres=centre).values_list("role", flat=True))
        assert roles == set(Role.values)


# --- officers import -----------------------------------------------------------------

HEADER = "username,full_name,email,phone,centre,role,unit,password\n"


def test_import_officers_creates_then_changes_nothing(demo):
    text = HEADER + (
        "nv.a,Nguyễn Văn A,a@example.vn,0912345678,14797,handler,bhxh-14797:nghiep-vu,matkhau-123\n"
        "nv.b,Trần Thị B,,02373852123,14797;16531,manager,,\n"
    )
    first = officers_import(text=text)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert first.without_password == ["nv.b"]
    a = Officer.objects.get(user__username="nv.a")
    assert a.unit.code == "nghiep-vu" and a.role == "handler"
    assert a.user.check_password("matkhau-123")
    assert a.user.groups.filter(name="Chuyên viên xử lý").exists()
    b = Officer.objects.get(user__username="nv.b")
    assert sorted(b.centres.values_list("code", flat=True)) == ["14797", "16531"]

    again = officers_import(text=text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_import_officers_is_all_or_nothing_and_names_row_and_column(demo):
    before = Officer.objects.count()
    text = HEADER + (
        "nv.ok,Người Đúng,,0912345678,14797,handler,bhxh-14797:nghiep-vu,\n"
        "nv.bad,Người Sai,khong-phai-email,12345,99999,chief,,\n"
    )
    with pytest.raises(ValidationFailed) as e:
        officers_import(text=text)
    fields = e.value.fields
    assert "row 3.email" in fields and "row 3.phone" in fields
    assert "row 3.centre" in fields and "row 3.role" in fields
    assert "Dòng 3, cột phone" in fields["row 3.phone"][0]["message"]
    assert Officer.objects.count() == before
    assert not User.objects.filter(username="nv.ok").exists()


def test_import_officers_role_needs_matching_unit(demo):
    text = HEADER + "nv.c,Người C,,,14797,receiver,bhxh-14797:nghiep-vu,\n"
    with pytest.raises(ValidationFailed) as e:
        officers_import(text=text)
    assert "row 2.unit" in e.value.fields


def test_import_officers_bad_header(demo):
    with pytest.raises(ValidationFailed) as e:
        officers_import(text="username,name\nx,y\n")
    assert e.value.code == "invalid_header"
    assert "full_name" in e.value.message


def test_import_officers_duplicate_username_in_file(demo):
    text = HEADER + ("nv.d,Người D,,,14797,manager,,\nnv.d,Người D2,,,14797,manager,,\n")
    with pytest.raises(ValidationFailed) as e:
        officers_import(text=text)
    assert "trùng với dòng 2" in e.value.fields["row 3.username"][0]["message"]
