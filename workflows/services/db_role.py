"""The least-privilege PostgreSQL role the application runs as.

Migrations run as the role that owns the tables (and the append-only
triggers); the application connects as another role that can read and write
everything it needs, but only SELECT and INSERT the history and the clock
ledger — no UPDATE, DELETE or TRUNCATE there — and, not owning any table,
cannot drop, disable or replace the triggers, nor switch them off with
``session_replication_role`` (a superuser setting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from config.errors import DomainError
from workflows.models import ClockEvent, DossierEvent

HISTORY_TABLES = [DossierEvent._meta.db_table, ClockEvent._meta.db_table]
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleRefused(DomainError):
    status = 409
    default_code = "db_role_refused"


def _literal(value: str) -> str:
    if "\x00" in value:
        raise RoleRefused("Mật khẩu không được chứa ký tự NUL.", code="db_role_password")
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class RolePlan:
    role: str
    owner: str
    statements: list[str]


def app_role_plan(*, role: str, password: str | None = None) -> RolePlan:
    """The statements that create or update ``role``; checks that it is safe."""
    if connection.vendor != "postgresql":
        raise RoleRefused("Vai trò cơ sở dữ liệu chỉ dùng với PostgreSQL.", code="db_role_vendor")
    if not _ROLE.match(role):
        raise RoleRefused(
            f"Tên vai trò {role!r} không hợp lệ (chữ thường, số, gạch dưới).",
            code="db_role_name",
        )
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        current, database, schema = cursor.fetchone()
        cursor.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = %s",
            [HISTORY_TABLES[0]],
        )
        row = cursor.fetchone()
        if row is None:
            raise RoleRefused(
                "Chưa có bảng lịch sử: chạy manage.py migrate trước.", code="db_role_no_schema"
            )
        owner = row[0]
        if role in (current, owner):
            raise RoleRefused(
                f"Vai trò ứng dụng phải khác vai trò sở hữu bảng ({owner}).",
                code="db_role_is_owner",
            )
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = %s",
            [role],
        )
        if cursor.fetchone()[0]:
            raise RoleRefused(
                f"Vai trò {role} đang sở hữu bảng: chạy REASSIGN OWNED BY {q(role)} TO "
                f"{q(owner)}; trước.",
                code="db_role_owns_tables",
            )
        cursor.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            [role],
        )
        member_of = [r for (r,) in cursor.fetchall()]
        if owner in member_of:
            raise RoleRefused(
                f"Vai trò {role} là thành viên của {owner} (chủ các bảng): thu hồi trước.",
                code="db_role_member_of_owner",
            )
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None

    r, s = q(role), q(schema)
    history = ", ".join(f"{s}.{q(t)}" for t in HISTORY_TABLES)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    if password is not None:
        attributes += f" PASSWORD {_literal(password)}"
    statements = [
        f"{'ALTER' if exists else 'CREATE'} ROLE {r} {attributes}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database)} TO {r}",
        f"REVOKE CREATE ON DATABASE {q(database)} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {history} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Tables a later migration creates: usable at once (re-run this
        # command after a migration that adds an append-only table).
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    return RolePlan(role=role, owner=owner, statements=statements)


def app_role_apply(plan: RolePlan) -> dict[str, dict[str, bool]]:
    """Run the plan in one transaction; return what the role may do on the history."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in plan.statements:
            cursor.execute(statement)
        rights: dict[str, dict[str, bool]] = {}
        for table in HISTORY_TABLES:
            rights[table] = {}
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", [plan.role, table, privilege]
                )
                rights[table][privilege] = cursor.fetchone()[0]
    return rights
