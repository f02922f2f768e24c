"""The grounds of a qualification are listed in the order they were given (motif n° 1 first):
no change to the database."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0015_personal_data_category_codes'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='assessmentground',
            options={'ordering': ['id'], 'verbose_name': 'motif invoqué', 'verbose_name_plural': 'motifs invoqués'},
        ),
    ]
