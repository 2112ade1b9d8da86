"""History a database superuser cannot silently rewrite.

The keyed chain: ``mac`` and ``key_id`` on each event, ``last_mac`` on the
dossier. Existing events keep an empty mac ("legacy, unkeyed"): they still
verify through the public hash chain and are reported only as unkeyed. (On
PostgreSQL adding a column with a constant default rewrites no row, so the
append-only trigger is not involved.)

On PostgreSQL, also refuse TRUNCATE of the history and the clock ledger: a
statement-level BEFORE TRUNCATE trigger (row triggers never see a TRUNCATE),
reusing 0003's ``motcua_append_only()``. No-op on SQLite, which has no
TRUNCATE. (A superuser can still disable triggers; the anchors are what
detects it.)
"""

from django.db import migrations, models

TABLES = ["workflows_dossierevent", "workflows_clockevent"]


def refuse_truncate(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION motcua_append_only()"
        )


def allow_truncate(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0005_access_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='last_mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='dossierevent',
            name='key_id',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
        migrations.AddField(
            model_name='dossierevent',
            name='mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.RunPython(refuse_truncate, allow_truncate),
    ]
