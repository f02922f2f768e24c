import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from trainings.models import Event, ImpactIndicator, Registration, TrainingCourse, TrainingSession


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    code = factory.Sequence(lambda n: f"formation-{n}")
    title = factory.Sequence(lambda n: f"Ouverture des données publiques, module {n}")
    objectives = "Connaître le principe d'ouverture par défaut (CRPA L312-1-1)."
    format = TrainingCourse.Format.DISTANCIEL
    duration_hours = Decimal("3.0")


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = TrainingSession
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=10))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=3))
    location = "DINUM, 20 avenue de Ségur, Paris"
    capacity = 20
    status = TrainingSession.Status.OUVERTE

    @factory.post_generation
    def trainers(self, create, extracted, **kwargs):
        if create and extracted:
            self.trainers.set(extracted)


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory("tests.factories.UserFactory")
    ministry = factory.SubFactory("tests.factories.MinistryFactory")
    status = Registration.Status.INSCRIT
    registered_at = factory.LazyFunction(timezone.now)


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    event_type = Event.EventType.HACKATHON
    title = factory.Sequence(lambda n: f"Hackathon n° {n}")
    start = datetime.date(2024, 3, 14)
    participants_count = 40


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = ImpactIndicator

    code = factory.Sequence(lambda n: f"indicateur-{n}")
    name = factory.Sequence(lambda n: f"Indicateur {n}")
    level = ImpactIndicator.Level.RESEAU
    source = ImpactIndicator.Source.SAISIE_MANUELLE
