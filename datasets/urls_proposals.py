"""Qualification proposals (DOMAIN §4.18): the review list and the decisions on an entry."""

from django.urls import path

from datasets import views_proposals

urlpatterns = [
    path("propositions/", views_proposals.proposal_list, name="proposals"),
    path(
        "<int:pk>/propositions/<int:proposal_id>/decision/",
        views_proposals.proposal_decide,
        name="proposal_decide",
    ),
    path(
        "<int:pk>/qualification/versions/<int:history_id>/proposer/",
        views_proposals.proposal_revert,
        name="proposal_revert",
    ),
    path(
        "<int:pk>/propositions/<int:proposal_id>/retirer/",
        views_proposals.proposal_withdraw,
        name="proposal_withdraw",
    ),
]
