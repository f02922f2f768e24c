import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from guides.models import Guide, GuideVersion


class GuideFactory(DjangoModelFactory):
    class Meta:
        model = Guide

    slug = factory.Sequence(lambda n: f"guide-{n}")
    title = factory.Sequence(lambda n: f"Guide pratique n° {n}")
    theme = Guide.Theme.OUVERTURE_PAR_DEFAUT
    summary = "Résumé du guide."


class VersionFactory(DjangoModelFactory):
    class Meta:
        model = GuideVersion

    guide = factory.SubFactory(GuideFactory)
    version = "1.0.0"
    body = "# Principe\n\nLes administrations publient leurs données.\n\n## Exceptions\n\nTexte."
    changelog = "Première version."
    status = GuideVersion.Status.BROUILLON


def published_guide(**kwargs):
    """A guide with one published version (as the service leaves it)."""
    version = VersionFactory(
        status=GuideVersion.Status.PUBLIEE, published_at=timezone.now(), **kwargs
    )
    guide = version.guide
    guide.published_version = version
    guide.save(update_fields=["published_version"])
    return guide
