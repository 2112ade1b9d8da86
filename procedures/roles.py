"""Permission groups for the five roles.

Permissions are named ``app_label.codename``; the ones that belong to apps
higher up the stack (workflows, notifications) are granted by name so this
module does not import them. Missing permissions are skipped (and granted on
the next sync once their app is migrated).
"""

from __future__ import annotations

from procedures.models import Role

_VIEW_DIRECTORY = [
    "procedures.view_province",
    "procedures.view_commune",
    "procedures.view_servicecentre",
    "procedures.view_agency",
    "procedures.view_unit",
    "procedures.view_officer",
    "procedures.view_sector",
    "procedures.view_procedure",
    "procedures.view_procedureversion",
    "procedures.view_processstep",
    "procedures.view_requireddocument",
]

#: What a centre's administrator manages in the admin, within its scope (the
#: admin classes narrow every list and choice to the centres it works at).
#: The national catalogue, new centres and agencies are the superuser's.
_MANAGE_DIRECTORY = [
    "procedures.change_servicecentre",
    "procedures.change_agency",
    "procedures.add_unit",
    "procedures.change_unit",
    "procedures.add_officer",
    "procedures.change_officer",
    "procedures.delete_officer",
]

_CALENDAR = [
    "workflows.view_calendaroverride",
    "workflows.add_calendaroverride",
    "workflows.change_calendaroverride",
]

ROLE_GROUPS: dict[str, str] = {
    Role.RECEIVER: "Cán bộ một cửa",
    Role.HANDLER: "Chuyên viên xử lý",
    Role.APPROVER: "Lãnh đạo phê duyệt",
    Role.MANAGER: "Quản lý",
    Role.ADMINISTRATOR: "Quản trị hệ thống",
}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.RECEIVER: [*_VIEW_DIRECTORY, "workflows.view_dossier", "workflows.receive_dossier"],
    Role.HANDLER: [*_VIEW_DIRECTORY, "workflows.view_dossier", "workflows.handle_dossier"],
    Role.APPROVER: [
        *_VIEW_DIRECTORY,
        "workflows.view_dossier",
        "workflows.handle_dossier",
        "workflows.approve_dossier",
    ],
    Role.MANAGER: [*_VIEW_DIRECTORY, *_CALENDAR, "workflows.view_dossier"],
    Role.ADMINISTRATOR: [
        *_VIEW_DIRECTORY,
        *_MANAGE_DIRECTORY,
        *_CALENDAR,
        "workflows.delete_calendaroverride",
        "workflows.view_dossier",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}

#: Roles whose members log into the Django admin.
STAFF_ROLES = {Role.MANAGER, Role.ADMINISTRATOR, Role.RECEIVER, Role.HANDLER, Role.APPROVER}

#: The unit kind an officer of each role must belong to (None: any or none).
ROLE_UNIT_KIND: dict[str, str | None] = {
    Role.RECEIVER: "reception",
    Role.HANDLER: "specialist",
    Role.APPROVER: "leadership",
    Role.MANAGER: None,
    Role.ADMINISTRATOR: None,
}
