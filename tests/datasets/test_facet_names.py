"""Facet labels: names remembered by each process for one cache generation, never longer."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from administrators.models import Organization
from datasets import selectors

pytestmark = pytest.mark.django_db


def test_names_are_read_once_per_generation(organization, other_organization):
    ids = [organization.pk, other_organization.pk]
    assert selectors._names("organization", ids) == {
        organization.pk: organization.name,
        other_organization.pk: other_organization.name,
    }
    with CaptureQueriesContext(connection) as ctx:
        assert selectors._names("organization", ids[:1]) == {organization.pk: organization.name}
    assert ctx.captured_queries == []


def test_a_new_generation_reads_names_again(organization):
    selectors._names("organization", [organization.pk])
    Organization.objects.filter(pk=organization.pk).update(name="Nouveau nom")
    selectors.bump_inventory_generation()
    assert selectors._names("organization", [organization.pk]) == {organization.pk: "Nouveau nom"}


def test_a_lost_cache_never_brings_back_an_old_generation(organization, ministry):
    """After a flush or an eviction the generation starts again from a random value: names
    a process remembers for the old one are not taken for the new one."""
    seen = set()
    for _ in range(5):
        seen.add(selectors._generation())
        selectors._names("ministry", [ministry.pk])
        cache.clear()
    assert len(seen) == 5
    ministry.short_name = "Autre"
    ministry.save(update_fields=["short_name"])
    assert selectors._names("ministry", [ministry.pk]) == {ministry.pk: "Autre"}


def test_unknown_ids_are_left_out(organization):
    assert selectors._names("organization", [organization.pk, 987654, None]) == {
        organization.pk: organization.name
    }


def test_names_are_read_all_at_once_and_at_most_once_per_generation(
    organization, other_organization
):
    assert selectors._names("organization", [organization.pk]) == {
        organization.pk: organization.name
    }
    with CaptureQueriesContext(connection) as ctx:
        selectors._names("organization", [other_organization.pk, 987654])
        selectors._names("organization", [987654])
    assert ctx.captured_queries == []
