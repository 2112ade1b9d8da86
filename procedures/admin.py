"""Django admin (in Vietnamese) for the catalogue, the directory and officers."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from procedures import admin_users  # noqa: F401  (the scoped account admin)
from procedures.models import (
    Agency,
    Commune,
    Officer,
    Procedure,
    ProcedureVersion,
    ProcessStep,
    Province,
    RequiredDocument,
    Role,
    Sector,
    ServiceCentre,
    Unit,
)
from procedures.selectors import (
    centres_visible_to,
    officers_managed_by,
    scope_centre_ids,
    sees_everything,
    units_visible_to,
    users_managed_by,
)
from procedures.services import budget_problem
from procedures.services.directory import officer_sync_groups


class SuperuserWritesMixin:
    """National data (the catalogue, the divisions, new centres and agencies):
    everyone with the view permission reads it, only the superuser writes."""

    def has_add_permission(self, request, *args):
        return sees_everything(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return sees_everything(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return sees_everything(request.user) and super().has_delete_permission(request, obj)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type", "province"]
    list_filter = ["province", "division_type"]
    search_fields = ["code", "name"]
    list_select_related = ["province"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["code", "name", "kind", "centre"]
    autocomplete_fields = ["centre"]


@admin.register(ServiceCentre)
class ServiceCentreAdmin(admin.ModelAdmin):
    """A centre's administrator keeps its own centre (hours, address…);
    opening or closing centres and their codes are the superuser's."""

    list_display = ["code", "name", "identifier", "saturday_reception", "active"]
    list_filter = ["active", "saturday_reception", "commune__province"]
    search_fields = ["code", "name", "identifier"]
    autocomplete_fields = ["commune"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=centres_visible_to(request.user).values("pk"))
        )

    def get_readonly_fields(self, request, obj=None):
        if sees_everything(request.user):
            return ()
        return ("code", "commune", "identifier", "active")

    def has_add_permission(self, request):
        return sees_everything(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return sees_everything(request.user) and super().has_delete_permission(request, obj)


def _agencies_in_scope(user):
    ids = scope_centre_ids(user)
    qs = Agency.objects.all()
    return qs if ids is None else qs.filter(centres__in=ids).distinct()


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]
    filter_horizontal = ["centres"]
    inlines = [UnitInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=_agencies_in_scope(request.user).values("pk"))
        )

    def get_readonly_fields(self, request, obj=None):
        # Which centres an agency serves spans centres: the superuser's.
        return () if sees_everything(request.user) else ("code", "kind", "province", "centres")

    def has_add_permission(self, request):
        return sees_everything(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return sees_everything(request.user) and super().has_delete_permission(request, obj)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "agency", "centre"]
    list_filter = ["kind", "agency__kind"]
    search_fields = ["code", "name", "agency__name"]
    list_select_related = ["agency", "centre"]
    autocomplete_fields = ["centre"]

    def get_queryset(self, request):
        if sees_everything(request.user):
            return super().get_queryset(request)
        return (
            super()
            .get_queryset(request)
            .filter(agency__in=_agencies_in_scope(request.user).values("pk"))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not sees_everything(request.user):
            if db_field.name == "agency":
                kwargs["queryset"] = _agencies_in_scope(request.user)
            elif db_field.name == "centre":
                kwargs["queryset"] = centres_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    """A centre's administrator manages its centres' officers, with any role
    but administrator; the province-level scope is the superuser's to give."""

    list_display = ["user", "full_name", "role", "unit", "phone"]
    list_filter = ["role", "unit__kind", "centres"]
    search_fields = ["user__username", "full_name", "phone"]
    list_select_related = ["user", "unit__agency"]
    filter_horizontal = ["centres"]
    autocomplete_fields = ["user", "unit"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=officers_managed_by(request.user).values("pk"))
        )

    def get_exclude(self, request, obj=None):
        return () if sees_everything(request.user) else ("province_scope",)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not sees_everything(request.user):
            kwargs["choices"] = [c for c in Role.choices if c[0] != Role.ADMINISTRATOR]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not sees_everything(request.user):
            if db_field.name == "unit":
                kwargs["queryset"] = units_visible_to(request.user)
            elif db_field.name == "user":
                kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "centres" and not sees_everything(request.user):
            kwargs["queryset"] = centres_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        if change and not sees_everything(request.user):
            # Keep the centres outside the administrator's scope it cannot see.
            outside = form.instance.centres.exclude(pk__in=centres_visible_to(request.user))
            form.cleaned_data["centres"] = [*form.cleaned_data["centres"], *outside]
        super().save_related(request, form, formsets, change)
        # The role's permission group follows the role.
        officer_sync_groups(form.instance)


@admin.register(Sector)
class SectorAdmin(SuperuserWritesMixin, admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["effective_from", "limit_value", "limit_unit", "fee", "online_level"]
    show_change_link = True


@admin.register(Procedure)
class ProcedureAdmin(SuperuserWritesMixin, admin.ModelAdmin):
    list_display = ["code", "name", "sector", "agency_kind", "active"]
    list_filter = ["sector", "agency_kind", "active"]
    search_fields = ["code", "name"]
    inlines = [VersionInline]


class StepFormSet(BaseInlineFormSet):
    """Refuse steps whose budgets, with reception and return, exceed the limit."""

    def clean(self):
        super().clean()
        budgets = [
            form.cleaned_data["budget_hours"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("budget_hours") is not None
        ]
        version = self.instance
        if version.limit_value is None:
            return
        problem = budget_problem(
            limit_value=version.limit_value,
            limit_unit=version.limit_unit,
            reception_hours=Decimal(version.reception_hours or 0),
            return_hours=Decimal(version.return_hours or 0),
            step_budgets=budgets,
        )
        if problem:
            raise ValidationError(problem, code="step_budget_exceeds_limit")


class StepInline(admin.TabularInline):
    model = ProcessStep
    formset = StepFormSet
    extra = 0
    min_num = 1


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(SuperuserWritesMixin, admin.ModelAdmin):
    list_display = ["procedure", "effective_from", "time_limit", "fee", "online_level"]
    list_filter = ["online_level", "limit_unit"]
    search_fields = ["procedure__code", "procedure__name"]
    list_select_related = ["procedure"]
    autocomplete_fields = ["procedure"]
    inlines = [StepInline, DocumentInline]
