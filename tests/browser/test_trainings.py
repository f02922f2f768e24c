"""Trainings in the browser: registration with waitlist, the trainer's pages, events, impact —
each page checked with axe-core."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from administrators.models import Membership
from tests.factories import MembershipFactory, MinistryFactory, UserFactory
from tests.trainings.factories import (
    CourseFactory,
    EventFactory,
    RegistrationFactory,
    SessionFactory,
)
from trainings.models import Registration


def _official(ministry, email):
    user = UserFactory(email=email)
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    return user


def test_registration_flow_with_waitlist(page, login_as, assert_accessible):
    ministry = MinistryFactory(name="Ministère de la Culture", short_name="Culture")
    session = SessionFactory(
        capacity=1, course=CourseFactory(title="Ouvrir les données culturelles")
    )
    first = _official(ministry, "premiere@culture.gouv.fr")
    second = _official(ministry, "second@culture.gouv.fr")

    page.goto("/formations/")
    expect(page.get_by_role("heading", name="Prochaines sessions")).to_be_visible()
    assert_accessible(page)

    login_as(page, first)
    page.goto(f"/formations/sessions/{session.pk}/")
    assert_accessible(page)
    page.get_by_role("button", name="M'inscrire").click()
    expect(page.get_by_text("Votre inscription est confirmée.")).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    login_as(page, second)
    page.goto(f"/formations/sessions/{session.pk}/")
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()
    expect(page.get_by_text("rang 1").first).to_be_visible()
    assert Registration.objects.get(user=second).status == "LISTE_ATTENTE"

    page.context.clear_cookies()
    login_as(page, first)
    page.goto("/formations/mes-inscriptions/")
    assert_accessible(page)
    page.get_by_role("button", name="Annuler").click()
    expect(page.get_by_text("L'inscription est annulée.")).to_be_visible()
    assert Registration.objects.get(user=second).status == "INSCRIT"


def test_official_without_role_chooses_their_ministry(page, login_as, assert_accessible):
    MinistryFactory(name="Ministère des Armées", short_name="Armées")
    session = SessionFactory()
    login_as(page, UserFactory(email="agent@exemple.gouv.fr"))
    page.goto(f"/formations/sessions/{session.pk}/")
    assert_accessible(page)
    page.get_by_label("Votre ministère").select_option(label="Armées")
    page.get_by_role("button", name="M'inscrire").click()
    expect(page.get_by_text("Votre inscription est confirmée.")).to_be_visible()


def test_trainer_pages_pass_axe(page, login_as, assert_accessible):
    trainer = UserFactory(email="formatrice@numerique.gouv.fr")
    MembershipFactory(user=trainer, role=Membership.Role.TRAINER, ministry=None)
    start = timezone.now() - datetime.timedelta(hours=3)
    session = SessionFactory(
        start=start, end=start + datetime.timedelta(hours=2), trainers=[trainer]
    )
    RegistrationFactory(session=session)
    upcoming = SessionFactory(trainers=[trainer])
    login_as(page, trainer)
    for url in (
        "/formations/mes-sessions/",
        f"/formations/sessions/{session.pk}/inscriptions/",
        "/formations/sessions/nouvelle/",
        f"/formations/sessions/{upcoming.pk}/modifier/",
    ):
        page.goto(url)
        assert_accessible(page)
    page.goto(f"/formations/sessions/{session.pk}/inscriptions/")
    page.get_by_label("Présent").check(force=True)
    page.get_by_role("button", name="Enregistrer la présence").click()
    expect(page.get_by_text("Feuille de présence enregistrée")).to_be_visible()
    assert Registration.objects.get(session=session).attended is True


def test_session_form_refuses_end_before_start(page, login_as):
    trainer = UserFactory(email="formateur2@numerique.gouv.fr")
    MembershipFactory(user=trainer, role=Membership.Role.TRAINER, ministry=None)
    course = CourseFactory(title="Algorithmes publics")
    login_as(page, trainer)
    page.goto("/formations/sessions/nouvelle/")
    page.get_by_label("Formation", exact=True).select_option(label=course.title)
    page.get_by_label("Début", exact=True).fill("2030-05-10T14:00")
    page.get_by_label("Fin", exact=True).fill("2030-05-10T10:00")
    page.get_by_label("Lieu").fill("Paris")
    page.get_by_label("Nombre de places", exact=True).fill("12")
    page.get_by_role("button", name="Planifier la session").click()
    expect(
        page.get_by_text("La fin de la session doit être postérieure à son début.")
    ).to_be_visible()


def test_staff_pages_pass_axe(page, login_as, assert_accessible):
    staff = UserFactory(email="equipe@numerique.gouv.fr")
    MembershipFactory(user=staff, role=Membership.Role.DINUM_STAFF, ministry=None)
    event = EventFactory(title="Consultation sur le service public de la donnée")
    login_as(page, staff)
    for url in (
        "/formations/statistiques/",
        "/formations/evenements/",
        f"/formations/evenements/{event.pk}/",
        "/formations/impact/",
        "/formations/impact/import/",
        "/formations/impact/mesures/nouvelle/",
    ):
        page.goto(url)
        assert_accessible(page)
