"""Qualification proposal pages: the correspondent's form, the entry page's panel and decisions,
« Propositions à valider »; permission matrix, French messages, flat query counts."""

import datetime

import pytest
from django.core.cache import cache

from core.models import AuditEntry, LegalGround
from datasets import proposals, services
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import (
    FORM,
    correspondent_of,
    propose,
    to_publish,
    version_of,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anon_client",
    "other_amd_client",
    "ministry_viewer_client",
    "sibling_correspondent_client",
    "correspondent_client",
    "amd_client",
    "dinum_client",
]


@pytest.fixture
def pending(correspondent_user, asset):
    return propose(correspondent_user, asset, comment="Prêt pour 2030")


# --- The correspondent's qualification form ----------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status", "proposed", "applied"),
    [
        ("anon_client", 302, False, False),
        ("other_amd_client", 404, False, False),
        ("ministry_viewer_client", 403, False, False),
        ("sibling_correspondent_client", 403, False, False),
        ("correspondent_client", 302, True, False),
        ("amd_client", 302, False, True),
        ("dinum_client", 302, False, True),
    ],
)
def test_qualification_form_post_matrix(request, client_name, status, proposed, applied, asset):
    client = request.getfixturevalue(client_name)
    response = client.post(
        f"/inventaire/{asset.pk}/qualification/", {**FORM, "version": version_of(asset)}
    )
    assert response.status_code == status
    if client_name == "anon_client":
        assert "/accounts/login/" in response.url
    assert QualificationProposal.objects.filter(asset=asset).exists() is proposed
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert (assessment.status == "TO_PUBLISH") is applied


def test_the_correspondent_form_says_it_proposes(correspondent_client, asset):
    body = correspondent_client.get(f"/inventaire/{asset.pk}/qualification/").content.decode()
    assert "Proposer cette qualification" in body
    assert "vous proposez la qualification" in body
    assert 'name="pending" value="0"' in body


def test_a_correspondent_post_stores_a_proposal_and_says_so(correspondent_client, asset):
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {**FORM, "version": version_of(asset), "comment": "Données prêtes"},
        follow=True,
    )
    body = response.content.decode()
    assert "Votre proposition de qualification a été enregistrée" in body
    assert "Proposition de qualification en attente de validation" in body
    assert "Données prêtes" in body
    proposal = QualificationProposal.objects.get(asset=asset)
    assert (proposal.status, proposal.state["status"]) == ("PENDING", "TO_PUBLISH")
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "NOT_COMMUNICABLE", "planned_date": ""}, "exige au moins un motif de secret"),
        ({"planned_date": ""}, "Indiquez la date de publication prévue."),
        ({"status": "PUBLISHED", "published_url": "javascript:alert(1)"}, "lien"),
        ({"status": "INVENTE"}, "Sélectionnez un choix valide"),
        ({"status": "TO_ASSESS", "planned_date": ""}, "ne change rien"),
    ],
)
def test_a_bad_proposal_gets_french_messages_and_writes_nothing(
    correspondent_client, asset, data, message
):
    audits = AuditEntry.objects.count()
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/", {**FORM, "version": version_of(asset), **data}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not QualificationProposal.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_a_proposal_on_a_stale_read_answers_409(correspondent_client, amd_user, asset):
    read = version_of(asset)
    services.asset_qualify(actor=amd_user, asset=asset, qualification=to_publish())
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {**FORM, "version": read, "planned_date": "2031-01-01"},
    )
    assert response.status_code == 409
    assert "Modification concurrente" in response.content.decode()
    assert not QualificationProposal.objects.exists()


def test_the_form_starts_from_the_pending_proposal_and_replaces_it(
    correspondent_client, organization, asset
):
    first = propose(correspondent_of(organization), asset, to_publish(datetime.date(2030, 3, 1)))
    body = correspondent_client.get(f"/inventaire/{asset.pk}/qualification/").content.decode()
    assert "2030-03-01" in body
    assert f'name="pending" value="{first.pk}"' in body
    stale = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {**FORM, "version": version_of(asset), "pending": 0, "planned_date": "2030-04-01"},
    )
    assert stale.status_code == 409
    assert "en attente de validation" in stale.content.decode()
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {**FORM, "version": version_of(asset), "pending": first.pk, "planned_date": "2030-04-01"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "SUPERSEDED"
    assert QualificationProposal.objects.get(status="PENDING").state["planned_date"] == (
        "2030-04-01"
    )


def test_the_hidden_justification_of_the_pending_proposal_is_kept(
    correspondent_user, correspondent_client, amd_user, asset
):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    first = propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[GroundInput(ground=ground, justification_internal="Noms des victimes")],
        ),
    )
    body = correspondent_client.get(f"/inventaire/{asset.pk}/qualification/").content.decode()
    assert "Noms des victimes" not in body
    correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {
            **FORM,
            "status": "NOT_COMMUNICABLE",
            "planned_date": "",
            "version": version_of(asset),
            "pending": first.pk,
            "ground_0": ground.code,
            "public_motive_0": "Vie privée",
        },
    )
    proposal = QualificationProposal.objects.get(status="PENDING")
    assert proposal.state["grounds"][0]["justification_internal"] == "Noms des victimes"
    assert proposal.state["grounds"][0]["public_motive"] == "Vie privée"


def test_the_wizard_ends_on_the_proposal_form(correspondent_client, asset):
    response = correspondent_client.get(
        f"/inventaire/{asset.pk}/qualification/assistant/", {"a_subject": "oui"}
    )
    assert response.status_code == 200
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/assistant/?a_subject=oui", {"answer": "non"}
    )
    while response.status_code == 200:  # answer « non » until the tree reaches an outcome
        url = response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"]
        response = correspondent_client.post(url, {"answer": "non"})
    assert response.status_code == 302
    form = correspondent_client.get(response.url)
    assert "Proposer cette qualification" in form.content.decode()


# --- The entry page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status", "sees_panel", "sees_decision"),
    [
        ("anon_client", 302, False, False),
        ("other_amd_client", 404, False, False),
        ("ministry_viewer_client", 200, False, False),
        ("sibling_correspondent_client", 200, False, False),
        ("correspondent_client", 200, True, False),
        ("amd_client", 200, True, True),
        ("dinum_client", 200, True, True),
    ],
)
def test_entry_page_panel_matrix(request, client_name, status, sees_panel, sees_decision, pending):
    response = request.getfixturevalue(client_name).get(f"/inventaire/{pending.asset_id}/")
    assert response.status_code == status
    body = response.content.decode()
    assert ("Proposition de qualification en attente de validation" in body) is sees_panel
    assert ("Accepter et appliquer" in body) is sees_decision


def test_the_panel_shows_before_and_after(amd_client, pending):
    body = amd_client.get(f"/inventaire/{pending.asset_id}/").content.decode()
    assert "Changements proposés" in body
    assert "<td>statut</td><td>À qualifier</td><td>À publier</td>" in body
    assert "<td>date de publication prévue</td><td>—</td><td>15/01/2030</td>" in body
    assert "Prêt pour 2030" in body


def test_the_panel_hides_internal_justifications_from_correspondents(
    correspondent_user, correspondent_client, amd_client, asset
):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[GroundInput(ground=ground, justification_internal="Noms des victimes")],
        ),
    )
    assert (
        "Noms des victimes"
        not in correspondent_client.get(f"/inventaire/{asset.pk}/").content.decode()
    )
    assert "Noms des victimes" in amd_client.get(f"/inventaire/{asset.pk}/").content.decode()


def test_the_correspondent_sees_propose_rather_than_qualify(correspondent_client, asset):
    body = correspondent_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Proposer une qualification" in body
    assert ">Qualifier<" not in body


DECIDE_MATRIX = [
    ("anon_client", 302, "PENDING"),
    ("other_amd_client", 404, "PENDING"),
    ("ministry_viewer_client", 403, "PENDING"),
    ("sibling_correspondent_client", 403, "PENDING"),
    ("correspondent_client", 403, "PENDING"),
    ("amd_client", 302, None),
    ("dinum_client", 302, None),
]


@pytest.mark.parametrize(("client_name", "status", "kept"), DECIDE_MATRIX)
def test_accept_matrix(request, client_name, status, kept, pending):
    response = request.getfixturevalue(client_name).post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "accepter"},
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert pending.status == (kept or "ACCEPTED")
    applied = OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id).status == "TO_PUBLISH"
    assert applied is (kept is None)


@pytest.mark.parametrize(("client_name", "status", "kept"), DECIDE_MATRIX)
def test_reject_matrix(request, client_name, status, kept, pending):
    response = request.getfixturevalue(client_name).post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "refuser", "decision-comment": "Date trop lointaine"},
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert pending.status == (kept or "REJECTED")
    assert OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id).status == "TO_ASSESS"


@pytest.mark.parametrize(
    ("client_name", "status", "withdrawn"),
    [
        ("anon_client", 302, False),
        ("other_amd_client", 404, False),
        ("ministry_viewer_client", 403, False),
        ("sibling_correspondent_client", 403, False),
        ("amd_client", 403, False),
        ("dinum_client", 403, False),
        ("correspondent_client", 302, True),
    ],
)
def test_withdraw_matrix(request, client_name, status, withdrawn, pending):
    response = request.getfixturevalue(client_name).post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/retirer/"
    )
    assert response.status_code == status
    pending.refresh_from_db()
    assert (pending.status == "WITHDRAWN") is withdrawn


def test_a_proposal_of_another_entry_answers_404(amd_client, organization, pending):
    elsewhere = AssetFactory(organization=organization)
    response = amd_client.post(
        f"/inventaire/{elsewhere.pk}/propositions/{pending.pk}/decision/", {"decision": "accepter"}
    )
    assert response.status_code == 404


def test_reject_without_reason_gets_a_french_message_and_writes_nothing(amd_client, pending):
    audits = AuditEntry.objects.count()
    response = amd_client.post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "refuser", "decision-comment": "   "},
        follow=True,
    )
    assert "Indiquez le motif du refus" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "PENDING"
    assert AuditEntry.objects.count() == audits


def test_an_unknown_decision_writes_nothing(amd_client, pending):
    response = amd_client.post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "supprimer"},
        follow=True,
    )
    assert "accepter ou de refuser la proposition" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "PENDING"


def test_a_stale_proposal_cannot_be_accepted_from_the_page(amd_client, dinum_user, pending):
    services.asset_qualify(
        actor=dinum_user,
        asset=pending.asset,
        qualification=to_publish(datetime.date(2029, 5, 1)),
    )
    page = amd_client.get(f"/inventaire/{pending.asset_id}/").content.decode()
    assert "ne peut plus être acceptée telle quelle" in page
    assert "Accepter et appliquer" not in page
    response = amd_client.post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "accepter"},
        follow=True,
    )
    assert "modifiée depuis cette proposition" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "PENDING"
    assessment = OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id)
    assert assessment.planned_date == datetime.date(2029, 5, 1)


def test_the_author_sees_the_outcome_on_the_entry_page(correspondent_client, amd_client, pending):
    amd_client.post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "refuser", "decision-comment": "Précisez la date de publication."},
    )
    body = correspondent_client.get(f"/inventaire/{pending.asset_id}/").content.decode()
    assert "Dernières propositions traitées" in body
    assert "Refusée" in body
    assert "Précisez la date de publication." in body
    assert "Proposition de qualification refusée" in body  # in the entry's history too


def test_accepting_from_the_page_applies_and_records_the_history(amd_client, amd_user, pending):
    response = amd_client.post(
        f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
        {"decision": "accepter", "decision-comment": "Validé en comité"},
        follow=True,
    )
    body = response.content.decode()
    assert "La proposition a été acceptée" in body
    assert "Acceptée" in body
    assessment = OpenByDefaultAssessment.objects.get(asset_id=pending.asset_id)
    assert assessment.status == "TO_PUBLISH"
    history = assessment.asset.assessment_history.get()
    assert history.actor == amd_user and "Validé en comité" in history.comment


@pytest.mark.parametrize("changes", [1, 4])
def test_entry_page_query_count_is_flat_with_proposals(
    changes, correspondent_user, amd_user, amd_client, asset, django_assert_num_queries
):
    for i in range(changes):
        proposal = propose(correspondent_user, asset, to_publish(datetime.date(2030, 1, 1 + i)))
        proposals.proposal_reject(actor=amd_user, proposal=proposal, reason=f"Non {i}")
    propose(correspondent_user, asset, to_publish(datetime.date(2031, 1, 1)))
    amd_client.get("/inventaire/")
    with django_assert_num_queries(12):  # as without proposals: one read of the latest five
        assert amd_client.get(f"/inventaire/{asset.pk}/").status_code == 200


# --- « Propositions à valider » ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status", "sees"),
    [
        ("anon_client", 302, False),
        ("other_amd_client", 200, False),
        ("ministry_viewer_client", 403, False),
        ("sibling_correspondent_client", 200, False),
        ("correspondent_client", 200, True),
        ("amd_client", 200, True),
        ("dinum_client", 200, True),
    ],
)
def test_list_page_matrix(request, client_name, status, sees, pending):
    response = request.getfixturevalue(client_name).get("/inventaire/propositions/")
    assert response.status_code == status
    assert ("Registre des associations" in response.content.decode()) is sees


def test_the_list_shows_only_pending_ones_then_the_decided(
    amd_client, amd_user, correspondent_user, organization, pending
):
    other = AssetFactory(organization=organization, title="Fichier des élus")
    proposals.proposal_reject(
        actor=amd_user, proposal=propose(correspondent_user, other), reason="Non"
    )
    body = amd_client.get("/inventaire/propositions/").content.decode()
    assert "Propositions à valider" in body
    assert "Registre des associations" in body and "Fichier des élus" not in body
    decided = amd_client.get("/inventaire/propositions/", {"etat": "traitees"}).content.decode()
    assert "Fichier des élus" in decided and "Registre des associations" not in decided


def test_the_correspondent_sees_their_own_proposals(correspondent_client, pending):
    body = correspondent_client.get("/inventaire/propositions/").content.decode()
    assert "Mes propositions de qualification" in body
    assert "Registre des associations" in body


@pytest.mark.parametrize("rows", [1, 15])
def test_list_page_query_count_is_flat(
    rows, amd_client, correspondent_user, organization, django_assert_num_queries
):
    for _ in range(rows):
        propose(correspondent_user, AssetFactory(organization=organization))
    amd_client.get("/inventaire/propositions/")
    with django_assert_num_queries(6):  # session, user, roles (2), count, page
        response = amd_client.get("/inventaire/propositions/")
    assert len(response.context["rows"]) == rows


@pytest.mark.parametrize(
    ("client_name", "label"),
    [
        ("amd_client", "Propositions à valider"),
        ("dinum_client", "Propositions à valider"),
        ("correspondent_client", "Mes propositions"),
        ("ministry_viewer_client", None),
    ],
)
def test_the_inventory_links_to_the_proposals(request, client_name, label):
    body = request.getfixturevalue(client_name).get("/inventaire/").content.decode()
    if label is None:
        assert "/inventaire/propositions/" not in body
    else:
        assert f'href="/inventaire/propositions/">{label}</a>' in body


def test_the_link_costs_the_inventory_no_query(amd_client, organization, django_assert_num_queries):
    AssetFactory(organization=organization)
    amd_client.get("/inventaire/")
    cache.clear()
    with django_assert_num_queries(10):  # as pinned in test_views.py, link included
        body = amd_client.get("/inventaire/").content.decode()
    assert "Propositions à valider" in body


def test_the_admin_lists_the_ministrys_proposals_read_only(amd_user, other_organization, pending):
    from django.test import Client

    foreign = propose(
        correspondent_of(other_organization), AssetFactory(organization=other_organization)
    )
    amd_user.is_staff = True
    amd_user.save()
    client = Client()
    client.force_login(amd_user)
    listed = client.get("/admin/datasets/qualificationproposal/")
    assert listed.status_code == 200
    body = listed.content.decode()
    assert f"/admin/datasets/qualificationproposal/{pending.pk}/change/" in body
    assert f"/admin/datasets/qualificationproposal/{foreign.pk}/change/" not in body
    page = client.get(f"/admin/datasets/qualificationproposal/{pending.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(
        f"/admin/datasets/qualificationproposal/{foreign.pk}/change/"
    ).status_code in (
        302,
        403,
        404,
    )
