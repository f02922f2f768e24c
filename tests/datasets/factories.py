"""Factories of the inventory (tests/datasets). `AssetFactory` also creates the entry's current
qualification row, as `datasets.services.asset_create` does."""

import datetime

import factory
from factory.django import DjangoModelFactory

from datasets.models import DataAsset, ExtraFieldDefinition, Format, OpenByDefaultAssessment
from tests.factories import OrganizationFactory


class AssetFactory(DjangoModelFactory):
    class Meta:
        model = DataAsset
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    ministry = factory.LazyAttribute(lambda o: o.organization.ministry)
    title = factory.Sequence(lambda n: f"Base de données des associations n° {n}")
    description = "Répertoire des associations déclarées en préfecture."
    keywords = factory.LazyFunction(lambda: ["associations", "répertoire"])
    service = "Bureau des associations"
    contact_service = "donnees@interieur.gouv.fr"
    last_updated_at = datetime.date(2025, 1, 15)
    update_frequency = "MENSUELLE"
    geo_coverage = "France entière"
    asset_type = "BASE_DE_DONNEES"

    @factory.post_generation
    def with_assessment(self, create, extracted, **kwargs):
        if create:
            OpenByDefaultAssessment.objects.create(asset=self, ministry_id=self.ministry_id)

    @factory.post_generation
    def formats(self, create, extracted, **kwargs):
        if create and extracted:
            self.formats.set(extracted)


class ExtraFieldFactory(DjangoModelFactory):
    class Meta:
        model = ExtraFieldDefinition

    code = factory.Sequence(lambda n: f"champ_{n}")
    label = factory.Sequence(lambda n: f"Champ {n}")
    kind = ExtraFieldDefinition.Kind.TEXT


def csv_format():
    return Format.objects.get(name="CSV")
