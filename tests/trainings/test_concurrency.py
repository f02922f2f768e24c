"""50 officials registering at the same moment for 20 seats, with real parallel transactions.

Each thread has its own database connection (Django's connections are per thread) and all of them
start together behind a barrier. The registration service locks the session row, so exactly 20
are seated and 30 waitlisted at positions 1..30, in the order they obtained the lock.
"""

import threading

import pytest
from django.db import connection, connections

from administrators.models import Membership
from tests.factories import MembershipFactory, MinistryFactory, UserFactory
from tests.trainings.factories import SessionFactory
from trainings import services
from trainings.models import Registration

OFFICIALS = 50
SEATS = 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_simultaneous_registrations_for_twenty_seats():
    ministry = MinistryFactory()
    session = SessionFactory(capacity=SEATS)
    users = []
    for _ in range(OFFICIALS):
        user = UserFactory()
        MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
        users.append(user)

    barrier = threading.Barrier(OFFICIALS, timeout=30)
    errors: list[BaseException] = []

    def register(user):
        try:
            barrier.wait()
            services.registration_create(actor=user, session=session)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    regs = list(Registration.objects.filter(session=session).order_by("id"))
    seated = [r for r in regs if r.status == Registration.Status.INSCRIT]
    waiting = [r for r in regs if r.status == Registration.Status.LISTE_ATTENTE]
    assert len(regs) == OFFICIALS
    assert len(seated) == SEATS
    assert len(waiting) == OFFICIALS - SEATS
    # In order: positions 1..30 without gap or duplicate, following the order of the inserts,
    # and every seated registration was written before every waitlisted one.
    assert [r.waitlist_position for r in waiting] == list(range(1, OFFICIALS - SEATS + 1))
    assert max(r.id for r in seated) < min(r.id for r in waiting)
    assert len({r.user_id for r in regs}) == OFFICIALS
    session.refresh_from_db()
    assert session.status == "COMPLETE"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_double_registration_of_one_official_keeps_one():
    ministry = MinistryFactory()
    session = SessionFactory(capacity=5)
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    barrier = threading.Barrier(8, timeout=30)
    outcomes: list[str] = []

    def register():
        try:
            barrier.wait()
            services.registration_create(actor=user, session=session)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 1
    assert outcomes.count("ValidationError") == 7
    assert Registration.objects.filter(session=session).count() == 1
