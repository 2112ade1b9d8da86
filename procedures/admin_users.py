"""Accounts in the admin, without privilege escalation.

Only a superuser creates or changes superusers, staff flags, groups and
individual permissions. A centre's administrator sees only the accounts of the
officers it manages (its centres' officers whose role is not administrator,
never itself) and may create an account for a new officer, change its name,
e-mail and active flag, and reset its password — nothing more. Every change is
kept in Django's admin log (``django_admin_log``).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserCreationForm

from procedures.selectors import users_managed_by

User = get_user_model()


class OfficerAccountCreationForm(UserCreationForm):
    """A new officer's account: username and password, no privilege."""


class ScopedUserAdmin(UserAdmin):
    _LIMITED_FIELDSETS = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin cá nhân", {"fields": ("first_name", "last_name", "email", "is_active")}),
        ("Mốc thời gian", {"fields": ("last_login", "date_joined")}),
    )
    _LIMITED_ADD_FIELDSETS = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "password1", "password2")},
        ),
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(pk__in=users_managed_by(request.user).values("pk"))
        )

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self._LIMITED_ADD_FIELDSETS if obj is None else self._LIMITED_FIELDSETS

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser and obj is None:
            kwargs["form"] = OfficerAccountCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("username", "last_login", "date_joined") if obj else ()

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return super().get_list_filter(request)
        return ("is_active",)

    def get_list_display(self, request):
        if request.user.is_superuser:
            return super().get_list_display(request)
        return ("username", "email", "first_name", "last_name", "is_active")

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted, except by the superuser:
        # the history names them.
        return request.user.is_superuser and super().has_delete_permission(request, obj)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
