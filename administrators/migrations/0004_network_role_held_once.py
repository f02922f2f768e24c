"""A network-wide role (no ministry) is held once per account, like a role in a ministry: the
repeated rows already present are removed first (migration 0005 then adds the constraint; in
another migration, as PostgreSQL alters no table with deletions still to check in the same
transaction).

The unique constraint on (user, role, ministry) let two rows with an empty ministry through
(NULLs are distinct), so a chief data officer or DINUM role could be granted twice. Of an
account's rows for one network role, the one that lasts longest is kept (no end date first,
then the latest end date, then the oldest row): the account keeps the role as long as any of
its rows gave it. Network roles carry no organisation and no kind of administrator.
"""

from django.db import migrations


def drop_repeated_network_roles(apps, schema_editor):
    Membership = apps.get_model("administrators", "Membership")
    kept: dict[tuple[int, str], tuple[int, object]] = {}
    repeated = []
    for pk, user_id, role, valid_until in (
        Membership.objects.filter(ministry__isnull=True)
        .order_by("pk")
        .values_list("pk", "user_id", "role", "valid_until")
    ):
        key = (user_id, role)
        if key not in kept:
            kept[key] = (pk, valid_until)
            continue
        best_pk, best_until = kept[key]
        lasts_longer = best_until is not None and (valid_until is None or valid_until > best_until)
        if lasts_longer:
            repeated.append(best_pk)
            kept[key] = (pk, valid_until)
        else:
            repeated.append(pk)
    Membership.objects.filter(pk__in=repeated).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("administrators", "0003_titular_no_overlap"),
    ]

    operations = [
        migrations.RunPython(drop_repeated_network_roles, migrations.RunPython.noop),
    ]
