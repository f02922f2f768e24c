"""Fixtures shared by the suite (STYLE §7): ministries, one client per role, a token client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from administrators.models import Membership
from core.models import ApiToken
from network_portal.celery import app as celery_app
from tests.factories import MembershipFactory, MinistryFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """PBKDF2 costs ~0.2 s per user on the CI machine; tests hash with MD5 instead."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks(request):
    """Each test starts with an empty shared cache; tasks run in-process unless the test is an
    integration test that drives a real worker."""
    cache.clear()
    eager = "integration" not in request.keywords
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


# Data migrations whose rows every page relies on (legal tables, formats, SPD datasets, roadmap
# axes, training audiences). Each `load(apps, schema_editor)` is an idempotent upsert.
DATA_MIGRATIONS = [
    "core.migrations.0002_reference_data",
    "datasets.migrations.0002_reference_data",
    "supervision.migrations.0002_roadmap_axes",
    "trainings.migrations.0002_audiences",
]
_ANY_REFERENCE_TABLE_EMPTY = """
    SELECT NOT EXISTS (SELECT 1 FROM core_legalground)
        OR NOT EXISTS (SELECT 1 FROM core_personaldatacategory)
        OR NOT EXISTS (SELECT 1 FROM datasets_format)
        OR NOT EXISTS (SELECT 1 FROM supervision_roadmapaxis)
        OR NOT EXISTS (SELECT 1 FROM trainings_audience)
"""


def reload_migration_data() -> None:
    from importlib import import_module

    from django.apps import apps

    for module in DATA_MIGRATIONS:
        import_module(module).load(apps, None)


@pytest.fixture(autouse=True)
def _reference_rows_present(request: pytest.FixtureRequest) -> None:
    """Every database test starts with the data-migration rows, whatever ran before it.

    Transactional tests (browser, worker, concurrency) flush the database when they end; the
    flush keeps these tables on PostgreSQL (below), and this check (one query) reloads them if
    anything emptied them anyway, so no test depends on the order tests run in.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db", "live_server"} & names:
        return
    transactional = bool(
        {"transactional_db", "live_server"} & names
        or (marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_ANY_REFERENCE_TABLE_EMPTY)
        empty = cursor.fetchone()[0]
    if empty:
        reload_migration_data()


# Models whose rows come from data migrations (see tests/browser/conftest.py DATA_MIGRATIONS).
REFERENCE_MODELS = [
    "core.LegalReference",
    "core.LegalGround",
    "core.Licence",
    "core.NoAnonymisationCategory",
    "core.HvdCategory",
    "core.PersonalDataCategory",
    "datasets.Format",
    "datasets.SpdReferenceDataset",
    "supervision.RoadmapAxis",
    "trainings.Audience",
    # Created by migrate as well; keeping them keeps their ids stable for serialized rollbacks.
    "contenttypes.ContentType",
    "auth.Permission",
]


@pytest.fixture(autouse=True)
def _side_connection_closed_after_each_test() -> Iterator[None]:
    """Inventory pages run a query on a second connection, kept open by a thread of the process
    (core.side_connection). Closed after each test: a later test must not find it open (where
    database access is blocked), nor may it hold the test database when it is dropped."""
    yield
    from core.side_connection import close_side_connection

    close_side_connection()


@pytest.fixture(autouse=True, scope="session")
def _fast_flush_on_postgresql() -> Iterator[None]:
    """Empty the tables with DELETE instead of TRUNCATE after each transactional test
    (browser, concurrency and worker tests).

    A TRUNCATE of the ~70 tables costs 2 to 3 s on PostgreSQL (new files for every table);
    DELETE of the few rows a test leaves takes a few milliseconds. Django's foreign keys are
    DEFERRABLE INITIALLY DEFERRED and the flush runs in one transaction, so the order of the
    DELETEs does not matter. Sequence resets (rarely asked for) keep Django's statement.

    The reference tables filled by data migrations (legal grounds, licences, formats, SPD
    datasets, roadmap axes, audiences) are kept: every later test expects them, whatever order
    the transactional tests run in.
    """
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    original = connection.ops.sql_flush
    kept = {apps.get_model(label)._meta.db_table for label in REFERENCE_MODELS}

    def sql_flush(
        style: Any, tables: list[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if reset_sequences:
            return original(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            f"DELETE FROM {connection.ops.quote_name(table)};"
            for table in tables
            if table not in kept
        ]

    connection.ops.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    connection.ops.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def ministry(db):
    return MinistryFactory(
        name="Ministère de l'Intérieur", short_name="Intérieur", code="interieur"
    )


@pytest.fixture
def other_ministry(db):
    return MinistryFactory(name="Ministère de la Culture", short_name="Culture", code="culture")


@pytest.fixture
def organization(ministry):
    return OrganizationFactory(ministry=ministry, name="Direction des libertés publiques")


@pytest.fixture
def other_organization(other_ministry):
    return OrganizationFactory(ministry=other_ministry, name="Direction générale des patrimoines")


def _user_with(role: str, ministry=None, **kwargs):
    user = UserFactory()
    membership = MembershipFactory(user=user, role=role, ministry=ministry, **kwargs)
    return user, membership


@pytest.fixture
def amd_user(ministry):
    return _user_with(Membership.Role.MINISTRY_ADMIN, ministry, admin_kind="TITULAIRE")[0]


@pytest.fixture
def agd_user(db):
    return _user_with(Membership.Role.CHIEF_DATA_OFFICER)[0]


@pytest.fixture
def dinum_user(db):
    return _user_with(Membership.Role.DINUM_STAFF)[0]


@pytest.fixture
def correspondent_user(ministry, organization):
    user, membership = _user_with(Membership.Role.CORRESPONDENT, ministry)
    membership.organizations.add(organization)
    return user


@pytest.fixture
def trainer_user(db):
    return _user_with(Membership.Role.TRAINER)[0]


@pytest.fixture
def viewer_user(db):
    """A network-wide read-only viewer."""
    return _user_with(Membership.Role.VIEWER)[0]


@pytest.fixture
def ministry_viewer_user(ministry):
    return _user_with(Membership.Role.VIEWER, ministry)[0]


@pytest.fixture
def plain_user(db):
    """Signed in, with no role at all."""
    return UserFactory()


def admin_client_for(user):
    """`user` signed in to the Django admin (made `is_staff`), with a plain test client."""
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_admin(dinum_user):
    """DINUM staff signed in to the Django admin."""
    return admin_client_for(dinum_user)


def _client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def amd_client(amd_user):
    return _client_for(amd_user)


@pytest.fixture
def agd_client(agd_user):
    return _client_for(agd_user)


@pytest.fixture
def dinum_client(dinum_user):
    return _client_for(dinum_user)


@pytest.fixture
def correspondent_client(correspondent_user):
    return _client_for(correspondent_user)


@pytest.fixture
def trainer_client(trainer_user):
    return _client_for(trainer_user)


@pytest.fixture
def viewer_client(viewer_user):
    return _client_for(viewer_user)


@pytest.fixture
def plain_client(plain_user):
    return _client_for(plain_user)


def make_token(user, *, can_write: bool = False) -> str:
    key, key_id, secret_hash = ApiToken.generate()
    ApiToken.objects.create(
        user=user, name="jeton de test", key_id=key_id, secret_hash=secret_hash, can_write=can_write
    )
    return key


@pytest.fixture
def api_client(amd_user):
    """A REST client authenticated by a read-only token of the ministry administrator."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user)}")
    return client


@pytest.fixture
def network_api_client(viewer_user):
    """A read-only token of a network-wide viewer (what a dashboard integration would use)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(viewer_user)}")
    return client
