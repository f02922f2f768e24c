"""A network-wide role is held once per account: a partial unique index on (user, role) where
the ministry is empty (the repeated rows were removed by 0004). The message of the existing
constraint is now French; the database does not change for it."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("administrators", "0004_network_role_held_once"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ministry__isnull", True)),
                fields=("user", "role"),
                name="membership_unique_network_role",
                violation_error_message="Ce compte a déjà ce rôle dans ce périmètre.",
            ),
        ),
        migrations.AlterConstraint(
            model_name="membership",
            name="membership_unique_role_per_ministry",
            constraint=models.UniqueConstraint(
                fields=("user", "role", "ministry"),
                name="membership_unique_role_per_ministry",
                violation_error_message="Ce compte a déjà ce rôle dans ce périmètre.",
            ),
        ),
    ]
