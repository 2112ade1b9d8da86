"""Administration cannot escalate (issue 8, point 1) and is scoped (point 2)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.test import Client

from procedures.models import Officer, Role, ServiceCentre

ADMIN = "hacthanh.quantri"
PASSWORD = "motcua-demo-pass"


@pytest.fixture
def admin_client(demo):
    client = Client()
    client.force_login(User.objects.get(username=ADMIN))
    return client


def _change_url(user):
    return f"/admin/auth/user/{user.pk}/change/"


def _user_form(user, **extra):
    data = {
        "username": user.username,
        "first_name": "A",
        "last_name": "B",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "01/01/2026",
        "date_joined_1": "00:00:00",
    }
    data.update(extra)
    return data


def test_the_account_list_holds_only_the_officers_it_manages(admin_client):
    page = admin_client.get("/admin/auth/user/")
    assert page.status_code == 200
    listed = set(page.context["cl"].queryset.values_list("username", flat=True))
    assert "hacthanh.bhxh.motcua" in listed and "hacthanh.quanly" in listed
    assert ADMIN not in listed  # not itself
    assert "admin" not in listed  # never the superuser
    assert not any(u.startswith(("samson.", "hatrung.")) for u in listed)  # other centres
    assert "hacthanh.quantri" not in listed


def test_it_cannot_make_itself_superuser(admin_client):
    me = User.objects.get(username=ADMIN)
    r = admin_client.post(_change_url(me), _user_form(me, is_superuser="on", is_staff="on"))
    assert r.status_code in (302, 404)
    me.refresh_from_db()
    assert not me.is_superuser


def test_it_cannot_reset_the_superusers_password(admin_client):
    root = User.objects.get(username="admin")
    url = f"/admin/auth/user/{root.pk}/password/"
    assert admin_client.get(url).status_code == 404
    r = admin_client.post(url, {"password1": "Chiem-quyen-2026!", "password2": "Chiem-quyen-2026!"})
    assert r.status_code == 404
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_privilege_fields_posted_anyway_are_ignored(admin_client):
    officer = User.objects.get(username="hacthanh.bhxh.motcua")
    groups_before = set(officer.groups.values_list("name", flat=True))
    admin_group = Group.objects.get(name="Quản trị hệ thống")
    r = admin_client.post(
        _change_url(officer),
        _user_form(
            officer,
            first_name="Hùng",
            is_superuser="on",
            is_staff="on",
            groups=[admin_group.pk],
            user_permissions=[1, 2, 3],
        ),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    officer.refresh_from_db()
    assert officer.first_name == "Hùng"
    assert not officer.is_superuser
    assert set(officer.groups.values_list("name", flat=True)) == groups_before
    assert not officer.user_permissions.exists()
    entry = LogEntry.objects.filter(object_id=str(officer.pk)).latest("action_time")
    assert entry.user.username == ADMIN


def test_it_resets_a_managed_officers_password_and_it_is_logged(admin_client):
    officer = User.objects.get(username="hacthanh.bhxh.chuyenvien")
    r = admin_client.post(
        f"/admin/auth/user/{officer.pk}/password/",
        {"password1": "Mat-khau-moi-2026", "password2": "Mat-khau-moi-2026"},
    )
    assert r.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password("Mat-khau-moi-2026")
    entry = LogEntry.objects.filter(object_id=str(officer.pk)).latest("action_time")
    assert entry.user.username == ADMIN and "mật khẩu" in entry.get_change_message().lower()


def test_a_new_account_carries_no_privilege(admin_client):
    r = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "hacthanh.moi",
            "password1": "Mat-khau-moi-2026",
            "password2": "Mat-khau-moi-2026",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    new = User.objects.get(username="hacthanh.moi")
    assert not new.is_superuser and not new.is_staff and not new.groups.exists()


def test_officer_admin_refuses_the_administrator_role_and_other_centres(admin_client):
    other = Officer.objects.get(user__username="samson.bhxh.motcua")
    assert admin_client.get(f"/admin/procedures/officer/{other.pk}/change/").status_code == 302
    fellow = Officer.objects.get(user__username="hacthanh.bhxh.motcua")
    url = f"/admin/procedures/officer/{fellow.pk}/change/"
    form = {
        "user": fellow.user_id,
        "full_name": fellow.full_name,
        "phone": "",
        "role": Role.ADMINISTRATOR,
        "unit": fellow.unit_id,
        "centres": [ServiceCentre.objects.get(code="14797").pk],
    }
    r = admin_client.post(url, form)
    assert r.status_code == 200 and "role" in r.context["adminform"].form.errors
    form.update(role=Role.RECEIVER, centres=[ServiceCentre.objects.get(code="16531").pk])
    r = admin_client.post(url, form)
    assert r.status_code == 200 and "centres" in r.context["adminform"].form.errors
    # the superuser's account cannot be given an officer profile
    root = User.objects.get(username="admin")
    form.update(user=root.pk, centres=[ServiceCentre.objects.get(code="14797").pk])
    r = admin_client.post("/admin/procedures/officer/add/", form)
    assert r.status_code == 200 and "user" in r.context["adminform"].form.errors
    fellow.refresh_from_db()
    assert fellow.role == Role.RECEIVER and fellow.user.username == "hacthanh.bhxh.motcua"


def test_the_catalogue_and_other_centres_are_read_only_or_absent(admin_client):
    assert admin_client.get("/admin/procedures/servicecentre/").context["cl"].result_count == 1
    other = ServiceCentre.objects.get(code="16531")
    assert (
        admin_client.get(f"/admin/procedures/servicecentre/{other.pk}/change/").status_code == 302
    )
    assert admin_client.get("/admin/procedures/servicecentre/add/").status_code == 403
    assert admin_client.get("/admin/procedures/procedure/add/").status_code == 403


def test_no_api_endpoint_manages_accounts(demo):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        if any(word in path for word in ("user", "officer", "group", "permission")):
            assert set(operations) <= {"get", "parameters"}, path
