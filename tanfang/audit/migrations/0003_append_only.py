"""The audit log is append-only, down to the database; failed log-ins per address are counted fast.

- On PostgreSQL a trigger refuses every UPDATE and DELETE of an audit row, whatever sends it (the
  ORM, raw SQL, a console). The model refuses too (audit.models), which is all SQLite has.
  TRUNCATE is a statement of its own that row triggers do not see: the application's database role
  should not be granted it in production (the test suite's flushes rely on it).
- An event's actor is PROTECTed: deleting an account would have rewritten its events (SET_NULL);
  accounts are deactivated, never deleted.
- (ip_address, at): recent failed log-ins per client address, for throttling.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FUNCTION = "audit_event_refuse_change"
TRIGGER = "audit_event_append_only"


def refuse_changes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEvent")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '审计日志只能追加，不能修改或删除 (the audit log is append-only: % refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        params=None,  # no placeholders: the "%" is PL/pgSQL's own
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def allow_changes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEvent")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["ip_address", "at"], name="audit_ip_at_idx"),
        ),
        migrations.RunPython(refuse_changes, allow_changes),
    ]
