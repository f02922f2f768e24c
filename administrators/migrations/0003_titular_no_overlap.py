"""PostgreSQL only: no two titular mandates of one ministry may overlap in time.

The partial unique index of 0001 already forbids two open-ended titular mandates on every
database; this exclusion constraint also covers mandates with an end date in the future.
SQLite (the zero-setup `make run`) keeps the partial index and the service-level check.
"""

from django.db import migrations

SQL = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE administrators_dataadministrator
  ADD CONSTRAINT titular_mandates_do_not_overlap
  EXCLUDE USING gist (
    ministry_id WITH =,
    daterange(appointment_date, end_date, '[]') WITH &&
  ) WHERE (role = 'AMD_TITULAIRE' AND ministry_id IS NOT NULL);
"""
REVERSE = "ALTER TABLE administrators_dataadministrator DROP CONSTRAINT IF EXISTS titular_mandates_do_not_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("administrators", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
