"""On PostgreSQL, refuse UPDATE and DELETE on the dossier history and the
clock ledger at the database level, whoever the client is."""

from django.db import migrations

TABLES = ["workflows_dossierevent", "workflows_clockevent"]

FUNCTION = """
CREATE OR REPLACE FUNCTION motcua_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'motcua: %% is append-only (%% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # "%%" because the statement goes through the DB-API with parameters.
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION motcua_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS motcua_append_only()")


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_dossiers")]
    operations = [migrations.RunPython(forwards, backwards)]
