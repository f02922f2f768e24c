"""A network-wide role (no ministry) is held once per account, like a role in a ministry.

The unique constraint on (user, role, ministry) let two rows with an empty ministry through (NULLs
are distinct by default), so a chief data officer or DINUM role could be granted twice (two
concurrent grants, or the admin). Exact duplicates already present are merged into the oldest
row first (the same account, role and network scope: nothing is lost but a repeated line).
"""

from django.conf import settings
from django.db import migrations, models


def drop_repeated_network_roles(apps, schema_editor):
    Membership = apps.get_model("administrators", "Membership")
    seen: set[tuple[int, str]] = set()
    repeated = []
    for pk, user_id, role in (
        Membership.objects.filter(ministry__isnull=True)
        .order_by("pk")
        .values_list("pk", "user_id", "role")
    ):
        if (user_id, role) in seen:
            repeated.append(pk)
        seen.add((user_id, role))
    Membership.objects.filter(pk__in=repeated).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("administrators", "0003_titular_no_overlap"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_repeated_network_roles, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="membership",
            name="membership_unique_role_per_ministry",
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("user", "role", "ministry"),
                name="membership_unique_role_per_ministry",
                nulls_distinct=False,
                violation_error_message="Ce compte a déjà ce rôle dans ce périmètre.",
            ),
        ),
    ]
