from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from config.errors import NotFound, ValidationFailed
from procedures.models import Procedure, ProcedureVersion, ProcessStep
from procedures.selectors import version_in_force
from procedures.services import catalogue_export, catalogue_import
from tests.factories import catalogue_doc, procedure_doc, step, version_doc

pytestmark = pytest.mark.django_db


def test_import_creates_and_is_idempotent():
    doc = catalogue_doc(procedure_doc())
    first = catalogue_import(data=doc)
    assert (first.procedures_created, first.versions_created) == (1, 1)
    version = ProcedureVersion.objects.get()
    assert version.time_limit == "P3D"
    assert [s.name for s in version.steps.order_by("order")] == ["Thẩm định", "Phê duyệt"]
    step_ids = list(ProcessStep.objects.values_list("pk", flat=True))

    again = catalogue_import(data=doc)
    assert (again.procedures_created, again.versions_created, again.versions_updated) == (0, 0, 0)
    assert again.versions_unchanged == 1
    assert list(ProcessStep.objects.values_list("pk", flat=True)) == step_ids


def test_step_budget_over_the_legal_limit_is_refused():
    # P1D = 8 h; 2 (reception) + 6 + 2 (return) = 10 h > 8 h
    doc = catalogue_doc(
        procedure_doc("1.000002", versions=[version_doc(time_limit="P1D", steps=[step(1, 6)])])
    )
    with pytest.raises(ValidationFailed) as e:
        catalogue_import(data=doc)
    problem = e.value.fields["procedures[0].versions[0].steps"][0]
    assert problem["code"] == "step_budget_exceeds_limit"
    assert "Thủ tục 1.000002" in problem["message"]
    assert "10 giờ" in problem["message"] and "8 giờ" in problem["message"]
    assert not Procedure.objects.exists()


def test_budget_exactly_at_the_limit_is_accepted():
    doc = catalogue_doc(
        procedure_doc(
            "1.000003",
            versions=[version_doc(time_limit="PT8H", steps=[step(1, 3), step(2, 1, "approval")])],
        )
    )
    catalogue_import(data=doc)
    assert ProcedureVersion.objects.get().limit_hours == 8


def test_import_is_atomic_one_bad_procedure_writes_nothing():
    good = procedure_doc("1.000010")
    bad = procedure_doc("1.000011", versions=[version_doc(time_limit="P2W")])
    with pytest.raises(ValidationFailed) as e:
        catalogue_import(data=catalogue_doc(good, bad))
    assert "procedures[1].versions[0].time_limit" in e.value.fields
    assert (
        "Thủ tục 1.000011" in e.value.fields["procedures[1].versions[0].time_limit"][0]["message"]
    )
    assert not Procedure.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p.update(code="1001667"), "procedures[0].code"),
        (lambda p: p.update(agency_kind="ministry"), "procedures[0].agency_kind"),
        (lambda p: p.update(sector="khong-co"), "procedures[0].sector"),
        (lambda p: p.update(versions=[]), "procedures[0].versions"),
        (lambda p: p["versions"][0].update(channels=["fax"]), "procedures[0].versions[0].channels"),
        (lambda p: p["versions"][0].update(fee=-1), "procedures[0].versions[0].fee"),
        (
            lambda p: p["versions"][0].update(effective_from="01/07/2025"),
            "procedures[0].versions[0].effective_from",
        ),
        (
            lambda p: p["versions"][0]["steps"][0].update(budget_hours=0),
            "procedures[0].versions[0].steps[0].budget_hours",
        ),
        (
            lambda p: p["versions"][0]["steps"][0].update(role="signing"),
            "procedures[0].versions[0].steps[0].role",
        ),
        (
            lambda p: p["versions"][0]["documents"][0].update(kind="scan"),
            "procedures[0].versions[0].documents[0].kind",
        ),
        (lambda p: p["versions"][0].update(steps=[]), "procedures[0].versions[0].steps"),
    ],
)
def test_import_errors_name_procedure_and_field(mutate, path):
    proc = procedure_doc("1.000020")
    mutate(proc)
    with pytest.raises(ValidationFailed) as e:
        catalogue_import(data=catalogue_doc(proc))
    assert path in e.value.fields, e.value.fields
    assert not Procedure.objects.exists()


def test_version_selection_by_date():
    doc = catalogue_doc(
        procedure_doc(
            "1.000030",
            versions=[
                version_doc(effective_from="2024-01-01", time_limit="P10D"),
                version_doc(effective_from="2025-07-01", time_limit="P6D"),
            ],
        )
    )
    catalogue_import(data=doc)
    procedure = Procedure.objects.get(code="1.000030")
    assert version_in_force(procedure=procedure, on=dt.date(2025, 6, 30)).time_limit == "P10D"
    assert version_in_force(procedure=procedure, on=dt.date(2025, 7, 1)).time_limit == "P6D"
    assert version_in_force(procedure=procedure, on=dt.date(2026, 1, 1)).time_limit == "P6D"
    with pytest.raises(NotFound) as e:
        version_in_force(procedure=procedure, on=dt.date(2023, 12, 31))
    assert e.value.code == "no_version_in_force"


def test_export_round_trips():
    doc = catalogue_doc(
        procedure_doc(
            "1.000040",
            versions=[
                version_doc(effective_from="2024-01-01"),
                version_doc(time_limit="PT8H", steps=[step(1, 2.5), step(2, 1.5, "approval")]),
            ],
        )
    )
    catalogue_import(data=doc)
    exported = catalogue_export()
    assert exported["procedures"][0]["versions"][1]["steps"][0]["budget_hours"] == 2.5
    result = catalogue_import(data=json.loads(json.dumps(exported)))
    assert result.versions_unchanged == 2 and result.versions_updated == 0


def test_shipped_fixtures_import_cleanly():
    from procedures.services.demo import catalogue_fixture_files

    files = catalogue_fixture_files()
    assert files, "procedures/fixtures/*.json must ship the catalogue"
    for path in files:
        catalogue_import(data=json.loads(path.read_text(encoding="utf-8")))
    social = Procedure.objects.filter(agency_kind="social_insurance").count()
    committee = Procedure.objects.filter(agency_kind="people_committee").count()
    assert social >= 8 and committee >= 3
    assert Procedure.objects.filter(code="1.001667").exists()


def test_import_command_reports_errors_and_exit_code(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            catalogue_doc(
                procedure_doc(
                    "1.000050", versions=[version_doc(time_limit="P1D", steps=[step(1, 7)])]
                )
            )
        )
    )
    with pytest.raises(CommandError) as e:
        call_command("import_procedures", str(bad))
    assert "procedures[0].versions[0].steps" in str(e.value)
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    with pytest.raises(CommandError):
        call_command("import_procedures", str(not_json))
    assert not Procedure.objects.exists()
