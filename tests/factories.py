"""factory_boy factories shared by the whole suite. Apps add theirs in tests/<app>/factories.py."""

import datetime

import factory
from factory.django import DjangoModelFactory

from administrators.models import DataAdministrator, Membership, Ministry, Organization, Person
from core.models import User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@exemple.gouv.fr")
    first_name = "Agent"
    last_name = factory.Sequence(lambda n: f"Numéro {n}")
    password = factory.PostGenerationMethodCall("set_password", "mot-de-passe-solide-2026")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class MinistryFactory(DjangoModelFactory):
    class Meta:
        model = Ministry

    code = factory.Sequence(lambda n: f"ministere-{n}")
    name = factory.Sequence(lambda n: f"Ministère de l'exemple n° {n}")
    short_name = factory.Sequence(lambda n: f"Exemple {n}")


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    ministry = factory.SubFactory(MinistryFactory)
    name = factory.Sequence(lambda n: f"Direction de l'exemple {n}")
    kind = Organization.Kind.ADMIN_CENTRALE


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    first_name = "Claude"
    last_name = factory.Sequence(lambda n: f"Exemple{n}")
    email = factory.Sequence(lambda n: f"personne{n}@exemple.gouv.fr")


class MandateFactory(DjangoModelFactory):
    class Meta:
        model = DataAdministrator

    person = factory.SubFactory(PersonFactory)
    ministry = factory.SubFactory(MinistryFactory)
    role = DataAdministrator.Role.AMD_TITULAIRE
    appointment_date = datetime.date(2021, 5, 15)
    appointment_act_type = DataAdministrator.ActType.ARRETE
    appointment_act_ref = "ARR-2021-001"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MINISTRY_ADMIN
    ministry = factory.SubFactory(MinistryFactory)
