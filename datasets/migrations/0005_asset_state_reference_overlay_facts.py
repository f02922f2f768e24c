"""Overlay R facts in the compliance log (supervision §6.3), and their backfill.

The log had no designation facts: the engine read designations as they stand. Rows written
before this migration take, for the entries designated now, the designation as it stands and
the entry's 8 annex-1° metadata as they stand (the same assumption the SPD red flag made);
later rows are written by `record_asset_state`, including on every designation change.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    Designation = apps.get_model("datasets", "ReferenceDataDesignation")
    History = apps.get_model("datasets", "AssetStateHistory")
    designations = Designation.objects.select_related("asset").prefetch_related("asset__formats")
    for d in designations.iterator(chunk_size=500):
        a = d.asset
        present = [
            bool(a.organization_id) and a.last_updated_at is not None,
            bool((a.title or "").strip()),
            bool((a.description or "").strip()),
            bool(a.update_frequency),
            bool(list(a.formats.all())),
            bool((a.geo_coverage or "").strip()),
            a.licence_id is not None,
            bool(a.keywords),
        ]
        History.objects.filter(asset_id_ref=a.pk).update(
            annex1_metadata=sum(present),
            reference_regime=d.regime,
            reference_status=d.status,
            spd_dataset_ref=d.spd_dataset_id,
            process_info_published=bool(d.process_info_url),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0004_designation_and_extra_field_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="assetstatehistory",
            name="annex1_metadata",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="assetstatehistory",
            name="process_info_published",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="assetstatehistory",
            name="reference_regime",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="assetstatehistory",
            name="reference_status",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name="assetstatehistory",
            name="spd_dataset_ref",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
