"""History a database superuser cannot silently rewrite.

The keyed chain: ``mac`` and ``key_id`` on each event, ``last_mac`` on the
dossier. Existing events keep an empty mac ("legacy, unkeyed"): they still
verify through the public hash chain and are reported only as unkeyed. (On
PostgreSQL adding a column with a constant default rewrites no row, so the
append-only trigger is not involved.)
"""

from django.db import migrations, models


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
    ]
