"""REST API of the qualification proposals (DOMAIN §4.18; services in `datasets.proposals`).

`/api/v1/datasets/qualification-proposals/`: the proposals the caller may see (those of the
ministries they administer, DINUM staff all, their own, and a correspondent's on the entries of
their organisations), newest first; `accept`, `reject` (a reason is required) and `withdraw`
(the author) call the services. A correspondent creates one with `PUT
/api/v1/datasets/{id}/qualification/`, which answers 202 with the proposal.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import PortalCursorPagination
from core.permissions import IsAuthenticatedWithTokenScope
from core.validators import whole_number
from datasets import proposals, services
from datasets.api.serializers import READ_ERRORS, WRITE_ERRORS, error_responses
from datasets.models import QualificationProposal
from datasets.permissions import can_see_internal_justification


class ProposalSerializer(serializers.ModelSerializer[QualificationProposal]):
    asset_title = serializers.CharField(source="asset.title", read_only=True)
    proposed_by = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField(
        help_text="La qualification a changé depuis la proposition : elle ne peut plus être "
        "acceptée telle quelle."
    )

    class Meta:
        model = QualificationProposal
        fields = [
            "id",
            "asset",
            "asset_title",
            "ministry",
            "status",
            "state",
            "comment",
            "based_on_version",
            "stale",
            "proposed_by",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields

    def get_proposed_by(self, obj: QualificationProposal) -> str:
        return str(obj.proposed_by) if obj.proposed_by else ""

    def get_reviewed_by(self, obj: QualificationProposal) -> str:
        return str(obj.reviewed_by) if obj.reviewed_by else ""

    def get_stale(self, obj: QualificationProposal) -> bool:
        assessment = getattr(obj.asset, "assessment", None)
        return (
            obj.status == QualificationProposal.Status.PENDING
            and assessment is not None
            and assessment.version != obj.based_on_version
        )

    def to_representation(self, instance: QualificationProposal) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        show = request is not None and can_see_internal_justification(
            request.user, instance.ministry_id
        )
        data["state"] = proposals.public_state(instance.state or {}, show)
        return data


DecisionSerializer = inline_serializer(
    name="ProposalDecision",
    fields={
        "comment": serializers.CharField(
            required=False,
            allow_blank=True,
            help_text="Commentaire de la décision ; obligatoire pour refuser (motif du refus).",
        )
    },
)


def _comment(request: Request) -> str:
    raw = request.data.get("comment") if hasattr(request.data, "get") else None
    if raw is not None and not isinstance(raw, str):
        raise serializers.ValidationError({"comment": ["Un texte est attendu."]})
    return raw or ""


TAG = "propositions de qualification"


@extend_schema(tags=[TAG])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les propositions de qualification",
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=QualificationProposal.Status.values,
                description="État de la proposition. Une valeur inconnue répond 400.",
            ),
            OpenApiParameter(
                "ministry",
                OpenApiTypes.INT,
                description="Identifiant du ministère de l'entrée (un nombre entier).",
            ),
            OpenApiParameter(
                "asset",
                OpenApiTypes.INT,
                description="Identifiant de l'entrée de l'inventaire (un nombre entier).",
            ),
        ],
        description="Propositions de qualification visibles (celles des ministères que vous "
        "administrez, toutes pour la DINUM, les vôtres, et pour un correspondant celles des "
        "entrées de ses organisations), de la plus récente à la plus ancienne, avec une "
        "pagination par curseur. Un correspondant en fait une par PUT "
        "`/api/v1/datasets/{id}/qualification/`.",
        responses={200: ProposalSerializer, **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Lire une proposition de qualification",
        description="Une proposition visible : la qualification proposée (`state`), son auteur, "
        "son état et la décision. `stale` dit si la qualification de l'entrée a changé depuis : "
        "elle ne peut plus être acceptée telle quelle.",
        responses={200: ProposalSerializer, **error_responses(*READ_ERRORS)},
    ),
)
class QualificationProposalViewSet(viewsets.ReadOnlyModelViewSet[QualificationProposal]):
    serializer_class = ProposalSerializer
    permission_classes = [IsAuthenticatedWithTokenScope]
    pagination_class = PortalCursorPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[QualificationProposal]:
        qs = proposals.with_related(proposals.proposals_for_user(self.request.user)).select_related(
            "asset__assessment"
        )
        params = self.request.query_params
        if self.action == "list":
            status = params.get("status")
            if status:
                if status not in QualificationProposal.Status.values:
                    raise serializers.ValidationError({"status": ["État inconnu."]})
                qs = qs.filter(status=status)
            for name in ("ministry", "asset"):
                raw = params.get(name)
                if raw:
                    number = whole_number(raw)
                    if number is None:
                        raise serializers.ValidationError({name: ["Un nombre entier est attendu."]})
                    qs = qs.filter(**{f"{name}_id": number})
        return qs

    def _answer(self, proposal: QualificationProposal) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        summary="Accepter une proposition",
        description="Applique la qualification proposée à l'entrée (administrateur du ministère "
        "de l'entrée ou DINUM) ; `comment` est facultatif. Si la qualification a changé depuis "
        "la proposition (`stale`), la réponse est 409 et rien n'est modifié.",
        request=DecisionSerializer,
        responses={200: ProposalSerializer, **error_responses(*WRITE_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Apply the proposal (409 when the qualification changed since it was made)."""
        proposal = self.get_object()
        try:
            proposals.proposal_accept(
                actor=request.user, proposal=proposal, comment=_comment(request)
            )
        except services.ConcurrentEditError as exc:
            return Response({"detail": exc.messages[0]}, status=409)
        return self._answer(proposal)

    @extend_schema(
        summary="Refuser une proposition",
        description="Refuse la proposition (administrateur du ministère de l'entrée ou DINUM) ; "
        "`comment`, le motif du refus montré à son auteur, est obligatoire.",
        request=DecisionSerializer,
        responses={200: ProposalSerializer, **error_responses(400, 401, 403, 404, 413)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the proposal; `comment` (the reason, shown to its author) is required."""
        proposal = self.get_object()
        proposals.proposal_reject(actor=request.user, proposal=proposal, reason=_comment(request))
        return self._answer(proposal)

    @extend_schema(
        summary="Retirer sa proposition",
        description="Son auteur retire sa proposition encore en attente.",
        request=None,
        responses={200: ProposalSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """The author takes back their pending proposal."""
        proposal = self.get_object()
        proposals.proposal_withdraw(actor=request.user, proposal=proposal)
        return self._answer(proposal)
