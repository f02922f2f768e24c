"""Fixtures of the supervision tests."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture
def roadmap_axes(db):
    """The roadmap axes (§3.2), loaded by a data migration. A transactional test elsewhere in a
    reused test database may have flushed them: put them back when they are missing."""
    from supervision.models import RoadmapAxis

    if not RoadmapAxis.objects.exists():
        importlib.import_module("supervision.migrations.0002_roadmap_axes").load(apps, None)
    return {a.code: a for a in RoadmapAxis.objects.all()}
