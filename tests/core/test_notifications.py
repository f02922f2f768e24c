"""The portal's shared e-mail helpers (core.notifications)."""

import pytest
from django.core import mail

from core.notifications import SIGNATURE, absolute_url, send_once, send_plain
from trainings.models import Registration

pytestmark = pytest.mark.django_db


def test_absolute_url_joins_the_site_address_and_the_path(settings):
    settings.SITE_URL = "https://portail.example.gouv.fr/"
    assert absolute_url("/inventaire/3/") == "https://portail.example.gouv.fr/inventaire/3/"
    assert absolute_url("formations/") == "https://portail.example.gouv.fr/formations/"


def test_send_plain_sends_one_signed_message_per_distinct_address():
    assert (
        send_plain(
            ["a@exemple.gouv.fr", "b@exemple.gouv.fr", "a@exemple.gouv.fr", ""], "Objet", "Bonjour"
        )
        == 2
    )
    assert [m.to for m in mail.outbox] == [["a@exemple.gouv.fr"], ["b@exemple.gouv.fr"]]
    assert mail.outbox[0].body == f"Bonjour\n\n{SIGNATURE}"
    assert send_plain([], "Objet", "Bonjour") == 0


def test_send_once_claims_before_sending_and_releases_on_failure():
    from tests.trainings.factories import RegistrationFactory

    registration = RegistrationFactory()
    row = Registration.objects.filter(pk=registration.pk)
    calls: list[int] = []

    def broken() -> None:
        raise ConnectionError

    with pytest.raises(ConnectionError):
        send_once(row, "reminded_at", broken)
    assert row.get().reminded_at is None
    assert send_once(row, "reminded_at", lambda: calls.append(1)) == (True, None)
    assert send_once(row, "reminded_at", lambda: calls.append(1)) == (False, None)
    assert calls == [1]
    assert row.get().reminded_at is not None
    assert send_once(Registration.objects.filter(pk=-1), "reminded_at", lambda: 1) == (False, None)
