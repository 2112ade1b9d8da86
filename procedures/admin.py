"""Django admin (in Vietnamese) for the catalogue, the directory and officers."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from procedures.models import (
    Agency,
    Commune,
    Officer,
    Procedure,
    ProcedureVersion,
    ProcessStep,
    Province,
    RequiredDocument,
    Sector,
    ServiceCentre,
    Unit,
)
from procedures.services import budget_problem
from procedures.services.directory import officer_sync_groups


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
    list_display = ["code", "name", "identifier", "saturday_reception", "active"]
    list_filter = ["active", "saturday_reception", "commune__province"]
    search_fields = ["code", "name", "identifier"]
    autocomplete_fields = ["commune"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]
    filter_horizontal = ["centres"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "agency", "centre"]
    list_filter = ["kind", "agency__kind"]
    search_fields = ["code", "name", "agency__name"]
    list_select_related = ["agency", "centre"]
    autocomplete_fields = ["centre"]


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "role", "unit", "phone"]
    list_filter = ["role", "unit__kind", "centres"]
    search_fields = ["user__username", "full_name", "phone"]
    list_select_related = ["user", "unit__agency"]
    filter_horizontal = ["centres"]
    autocomplete_fields = ["user", "unit"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The role's permission group follows the role.
        officer_sync_groups(form.instance)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["effective_from", "limit_value", "limit_unit", "fee", "online_level"]
    show_change_link = True


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
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
class ProcedureVersionAdmin(admin.ModelAdmin):
    list_display = ["procedure", "effective_from", "time_limit", "fee", "online_level"]
    list_filter = ["online_level", "limit_unit"]
    search_fields = ["procedure__code", "procedure__name"]
    list_select_related = ["procedure"]
    autocomplete_fields = ["procedure"]
    inlines = [StepInline, DocumentInline]
