"""REST API v1 of the inventory: entries, their qualification and its history, extra fields.

An entry's change history (`changes`) and the return to a version (`revert`,
`qualification/revert`) are the entry page's, with the same version check.

Lists use the same filters and French full-text search as the page (`AssetFilters`), with cursor
pagination (stable under inserts, cheap at any depth). Writes call `datasets.services`: the
ministry follows the organisation; a stale `version` answers 409 with the French message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from administrators.models import Ministry
from core.access import access_for
from core.pagination import PortalCursorPagination
from core.validators import whole_number
from datasets import services
from datasets.api.proposals import ProposalSerializer
from datasets.api.serializers import (
    READ_ERRORS,
    WRITE_ERRORS,
    AssessmentHistorySerializer,
    AssetChangesSerializer,
    DataAssetEditSerializer,
    DataAssetSerializer,
    ExtraFieldDefinitionEditSerializer,
    ExtraFieldDefinitionSerializer,
    QualificationEditSerializer,
    QualificationRevertSerializer,
    QualificationSerializer,
    RevertSerializer,
    error_responses,
)
from datasets.forms import list_filter_query
from datasets.models import (
    AssetType,
    DataAsset,
    ExtraFieldDefinition,
    OpenByDefaultAssessment,
    QualificationProposal,
    ReferenceDataDesignation,
    UpdateFrequency,
)
from datasets.permissions import (
    AssetPermission,
    can_edit_asset,
    can_propose_qualification,
    can_see_internal_justification,
)
from datasets.selectors import AssetFilters, assessment_history, asset_queryset
from datasets.validation import GroundInput, QualificationInput

TAG = "inventaire"

# The values of the list's coded filters: the model choices `AssetFilters.from_query` keeps,
# and the words it adds for the two that are not a column's choices. What it drops is answered
# 400 by the API (`api_filters`); the list page drops it silently.
FILTER_VALUES: dict[str, list[str]] = {
    "status": OpenByDefaultAssessment.Status.values,
    "asset_type": AssetType.values,
    "update_frequency": UpdateFrequency.values,
    "personal_data": ["oui", "non"],
    "reference": [*ReferenceDataDesignation.Regime.values, "aucune"],
    "visibility": DataAsset.Visibility.values,
}
ID_FILTERS = ("ministry", "organization")

SEVERAL = (
    " Plusieurs valeurs : paramètre répété ou valeurs séparées par des virgules. Une valeur "
    "inconnue répond 400."
)


def _filter(name: str, description: str, *, many: bool = True) -> OpenApiParameter:
    if name in ID_FILTERS:
        return OpenApiParameter(name, OpenApiTypes.INT, many=many, description=description)
    return OpenApiParameter(
        name, OpenApiTypes.STR, many=many, enum=FILTER_VALUES[name], description=description
    )


FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="Recherche plein texte en français (mêmes résultats que la page).",
    ),
    _filter("ministry", "Identifiant du ministère de l'entrée (un nombre entier)." + SEVERAL),
    _filter(
        "organization",
        "Identifiant de l'organisation productrice (un nombre entier)." + SEVERAL,
    ),
    _filter("status", "Statut d'ouverture de la qualification de l'entrée." + SEVERAL),
    _filter("asset_type", "Type de l'entrée." + SEVERAL),
    _filter("update_frequency", "Fréquence de mise à jour de l'entrée." + SEVERAL),
    _filter(
        "personal_data",
        "L'entrée contient des données personnelles (`oui`) ou non (`non`). Une valeur inconnue "
        "répond 400.",
        many=False,
    ),
    _filter(
        "reference",
        "Donnée de référence : régime de sa désignation, ou `aucune` pour une entrée qui n'en a "
        "pas." + SEVERAL,
    ),
    _filter(
        "visibility",
        "Visibilité de l'entrée : brouillon (vu de son seul ministère) ou publiée." + SEVERAL,
    ),
]

EXTRA_FILTERS = (
    "Champs propres au ministère : `extra.<code>=<valeur>` ne garde que les entrées dont le champ "
    "de code `<code>` (voir `/api/v1/datasets/extra-fields/`) a cette valeur ; `oui` ou `non` "
    "pour un champ oui / non ; plusieurs valeurs : paramètre répété ou séparées par des virgules."
)
FILTERS_DOC = (
    "Filtres de la page de l'inventaire, combinables : `q`, `ministry`, `organization`, `status`, "
    "`asset_type`, `update_frequency`, `personal_data`, `reference`, `visibility` (décrits "
    "avec leurs valeurs possibles dans les paramètres ; une valeur inconnue répond 400 en "
    "nommant le paramètre et ses valeurs possibles, là où la page l'ignore). " + EXTRA_FILTERS
)

LOCKING = (
    "Verrou optimiste : `version` (lue par GET) est obligatoire ; si {what} a changé depuis, la "
    "réponse est 409 et rien n'est modifié : relisez-{it} puis renvoyez la modification avec la "
    "nouvelle `version`."
)
VERSION_REQUIRED = LOCKING.format(what="l'entrée", it="la")
FIELD_LOCKING = LOCKING.format(what="le champ", it="le")
QUALIFICATION_LOCKING = (
    "Verrou optimiste : `version` (celle de la qualification, lue par GET) est obligatoire ; si "
    "la qualification a changé depuis, la réponse est 409 et rien n'est modifié : relisez-la "
    "puis renvoyez la modification avec la nouvelle `version`."
)


def _dropped(name: str, value: str) -> bool:
    """The list page would ignore this value of the filter (`AssetFilters.from_query`)."""
    return not getattr(AssetFilters.from_query({name: value}), name)


def _unknown_message(name: str, values: list[str]) -> str:
    shown = " », « ".join(value[:40] for value in values[:5])
    if name in ID_FILTERS:
        return (
            f"Filtre « {name} » : « {shown} » n'est pas un identifiant ; attendu : un nombre "
            "entier."
        )
    allowed = ", ".join(FILTER_VALUES[name])
    return f"Filtre « {name} » : valeur inconnue « {shown} ». Valeurs possibles : {allowed}."


def api_filters(query: QueryDict) -> AssetFilters:
    """The list's filters as the page reads them, except that a value the page would ignore is
    a 400 naming the parameter: an API client must know its filter was not applied."""
    query = list_filter_query(query)
    errors: dict[str, list[str]] = {}
    for name in AssetFilters.LIST_FIELDS:
        unknown = [
            value
            for raw in query.getlist(name)
            for value in raw.split(",")
            if value and _dropped(name, value)
        ]
        if unknown:
            errors[name] = [_unknown_message(name, unknown)]
    if errors:
        raise serializers.ValidationError(errors)
    return AssetFilters.from_query(query)


class AssetCursorPagination(PortalCursorPagination):
    ordering = "-id"


def _conflict(exc: services.ConcurrentEditError) -> Response:
    return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)


def _version(request: Request, required: bool = True, of: str = "de l'entrée") -> int | None:
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        raw = request.query_params.get("version")
    if raw in (None, ""):
        if required:
            raise serializers.ValidationError(
                {"version": [f"Indiquez la version lue {of} (verrou optimiste)."]}
            )
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise serializers.ValidationError({"version": ["Un nombre entier est attendu."]}) from None


@extend_schema(tags=[TAG])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les entrées de l'inventaire",
        parameters=FILTER_PARAMETERS,
        description=(
            "Entrées visibles de l'inventaire (publiées, et les brouillons de votre ministère), "
            "de la plus récente à la plus ancienne, avec une pagination par curseur. " + FILTERS_DOC
        ),
        responses={200: DataAssetSerializer, **error_responses(400, *READ_ERRORS)},
    ),
    create=extend_schema(
        summary="Créer une entrée",
        description=(
            "Crée une entrée dans le ministère de son organisation (`organization` : une "
            "organisation où vous pouvez créer des entrées). `title`, `description`, "
            "`organization` et `asset_type` sont obligatoires, ainsi que, dans `extra`, les champs "
            "propres que son ministère déclare obligatoires. La réponse porte la `version` à "
            "renvoyer pour la modifier."
        ),
        request=DataAssetSerializer,
        responses={201: DataAssetSerializer, **error_responses(400, 401, 403, 413)},
    ),
    retrieve=extend_schema(
        summary="Lire une entrée",
        description=(
            "Une entrée visible, avec le résumé de sa qualification. Sa `version` est celle à "
            "renvoyer pour la modifier (PUT, PATCH) ou la supprimer (DELETE)."
        ),
        responses={200: DataAssetSerializer, **error_responses(*READ_ERRORS)},
    ),
    update=extend_schema(
        summary="Modifier une entrée",
        description=(
            "Modifie l'entrée : `title`, `description` et `organization` sont obligatoires, les "
            "champs absents gardent leur valeur. " + VERSION_REQUIRED
        ),
        request=DataAssetEditSerializer,
        responses={200: DataAssetSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    partial_update=extend_schema(
        summary="Modifier une partie d'une entrée",
        description="Modifie seulement les champs envoyés. " + VERSION_REQUIRED,
        request=DataAssetEditSerializer,
        responses={200: DataAssetSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    destroy=extend_schema(
        summary="Supprimer une entrée",
        description=(
            "Supprime l'entrée. " + VERSION_REQUIRED + " Ici, `version` va dans l'adresse "
            "(`?version=`)."
        ),
        parameters=[
            OpenApiParameter(
                "version",
                OpenApiTypes.INT,
                required=True,
                description="Version de l'entrée lue par GET (verrou optimiste).",
            )
        ],
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    ),
)
class DataAssetViewSet(viewsets.ModelViewSet[DataAsset]):
    serializer_class = DataAssetSerializer
    permission_classes = [AssetPermission]
    pagination_class = AssetCursorPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[DataAsset]:
        filters = (
            api_filters(self.request.query_params) if self.action == "list" else AssetFilters()
        )
        return (
            asset_queryset(self.request.user, filters, ranked=False)
            .select_related("licence", "hvd_category")
            .prefetch_related("formats")
        )

    def _service_payload(self, validated: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
        data = dict(validated)
        data.pop("version", None)
        formats = data.pop("formats", None)
        extra = data.pop("extra", None)
        return data, formats, extra

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, formats, extra = self._service_payload(serializer.validated_data)
        asset = services.asset_create(actor=request.user, data=data, formats=formats, extra=extra)
        out = self.get_serializer(self.get_queryset().get(pk=asset.pk))
        return Response(out.data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        asset = self.get_object()
        serializer = self.get_serializer(asset, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        expected = _version(request)
        data, formats, extra = self._service_payload(serializer.validated_data)
        try:
            services.asset_update(
                actor=request.user,
                asset=asset,
                data=data,
                expected_version=expected,
                formats=formats,
                extra=extra,
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=asset.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Like an edit, a deletion needs the version its author read: an entry changed since
        # is not deleted unseen (409).
        asset = self.get_object()
        try:
            services.asset_delete(
                actor=request.user, asset=asset, expected_version=_version(request)
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Historique des qualifications d'une entrée",
        description="Toutes les qualifications enregistrées de l'entrée, de la plus récente à la "
        "plus ancienne (500 au plus) : comme l'historique de ses modifications, réservé au "
        "ministère de l'entrée et à la DINUM (liste vide pour les autres lecteurs). Leur `id` "
        "est celui qu'envoie `qualification/revert/`.",
        responses={
            200: AssessmentHistorySerializer(many=True),
            **error_responses(*READ_ERRORS),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every qualification ever saved for this entry, newest first: like its changes,
        reserved to the entry's ministry and DINUM (empty for other readers)."""
        from datasets import history

        asset = self.get_object()
        if not history.may_read(request.user, asset):
            return Response([])
        rows = assessment_history(asset, limit=500)
        return Response(
            AssessmentHistorySerializer(rows, many=True, context={"request": request}).data
        )

    @extend_schema(
        summary="Historique des modifications d'une entrée",
        responses={200: AssetChangesSerializer, **error_responses(*READ_ERRORS)},
        description="Historique des modifications de l'entrée (qui, quand, quels champs, avant "
        "et après), du plus récent au plus ancien, 100 au plus : celui de sa fiche, réservé au "
        "ministère de l'entrée et à la DINUM (vide sinon). `version` et "
        "`qualification_version` sont celles de l'entrée et de sa qualification au moment de "
        "cette lecture : ce sont elles qu'un retour à une version envoie.",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def changes(self, request: Request, pk: str | None = None) -> Response:
        from datasets import history

        asset = self.get_object()
        show_internal = can_see_internal_justification(request.user, asset.ministry_id)
        may_revert = can_edit_asset(request.user, asset)
        entries = history.entries_for(request.user, asset)
        rows = [
            {
                "id": entry.pk,
                "created_at": entry.created_at,
                "actor": str(entry.actor) if entry.actor else "",
                "action": entry.action,
                "action_label": history.action_label(entry.action),
                # As on the page: not the newest change (the entry is already in that state).
                "revertible": may_revert and index > 0 and history.revertible(entry),
                "changes": [
                    {"field": field, "label": label, "before": before, "after": after}
                    for field, label, before, after in history.changes_of(entry, show_internal)
                ],
            }
            for index, entry in enumerate(entries)
        ]
        assessment = getattr(asset, "assessment", None)  # joined by the queryset
        data = {
            "version": asset.version,
            "qualification_version": assessment.version if assessment is not None else None,
            "results": rows,
        }
        return Response(AssetChangesSerializer(data).data)

    @extend_schema(
        summary="Ramener une entrée à une version",
        request=RevertSerializer,
        responses={200: DataAssetSerializer, **error_responses(*WRITE_ERRORS)},
        description="Ramène l'entrée à son état juste après un changement de son historique "
        "(`change`, lu par GET `changes/`). " + VERSION_REQUIRED,
    )
    @action(detail=True, methods=["post"])
    def revert(self, request: Request, pk: str | None = None) -> Response:
        asset = self.get_object()
        body = RevertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.asset_revert(
                actor=request.user,
                asset=asset,
                audit_entry_id=body.validated_data["change"],
                expected_version=body.validated_data["version"],
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(self.get_serializer(self.get_queryset().get(pk=asset.pk)).data)

    @extend_schema(
        summary="Rétablir une qualification enregistrée",
        request=QualificationRevertSerializer,
        responses={
            200: QualificationSerializer,
            202: ProposalSerializer,
            **error_responses(*WRITE_ERRORS),
        },
        description="Rétablit une qualification enregistrée de l'entrée (`history`, lue par GET "
        "`history/`). " + QUALIFICATION_LOCKING + " Pour un correspondant, c'est une "
        "proposition : la réponse est 202 avec la proposition, appliquée quand un administrateur "
        "ministériel l'accepte.",
    )
    @action(detail=True, methods=["post"], url_path="qualification/revert")
    def qualification_revert(self, request: Request, pk: str | None = None) -> Response:
        from datasets import proposals

        asset = self.get_object()
        body = QualificationRevertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        history_id = body.validated_data["history"]
        version = body.validated_data["version"]
        try:
            if can_propose_qualification(request.user, asset):
                proposal, _ = proposals.proposal_submit_revert(
                    actor=request.user,
                    asset=asset,
                    history_id=history_id,
                    based_on_version=version,
                )
                return _proposal_accepted(request, proposal)
            services.asset_revert(
                actor=request.user, asset=asset, history_id=history_id, expected_version=version
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(
            QualificationSerializer(_load_assessment(asset), context={"request": request}).data
        )

    @extend_schema(
        methods=["GET"],
        summary="Lire la qualification d'une entrée",
        description="La qualification « ouverture par défaut » de l'entrée : statut, motifs "
        "légaux, dates. Les justifications internes des motifs ne sont montrées qu'au ministère "
        "de l'entrée et à la DINUM. Sa `version` est celle à renvoyer pour la modifier.",
        responses={200: QualificationSerializer, **error_responses(*READ_ERRORS)},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Qualifier une entrée",
        request=QualificationEditSerializer,
        responses={
            200: QualificationSerializer,
            202: ProposalSerializer,
            **error_responses(*WRITE_ERRORS),
        },
        description="Remplace la qualification en entier : un champ absent est vidé, un motif "
        "absent retiré. Qui ne lit pas les justifications internes (réservées au ministère de "
        "l'entrée et à la DINUM) garde celle d'un motif qu'il renvoie sans. "
        + QUALIFICATION_LOCKING
        + " Pour un correspondant, la qualification est une proposition : la réponse est 202 "
        "avec la proposition, appliquée quand un administrateur ministériel l'accepte "
        "(`/api/v1/datasets/qualification-proposals/{id}/accept/`).",
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def qualification(self, request: Request, pk: str | None = None) -> Response:
        """The current open-by-default qualification (DOMAIN §4.5) — PUT replaces it whole."""
        asset = self.get_object()
        assessment = _load_assessment(asset)
        context = {"request": request}
        if request.method == "GET":
            return Response(QualificationSerializer(assessment, context=context).data)
        self.check_object_permissions(request, asset)
        serializer = QualificationSerializer(assessment, data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        # Like an entry, a qualification is replaced only by whoever read its current version.
        expected = _version(request)
        vd = dict(serializer.validated_data)
        links = vd.pop("ground_links", [])
        vd.pop("version", None)
        q = QualificationInput(
            **{k: val for k, val in vd.items() if k in QualificationInput.FIELDS},
            grounds=[
                GroundInput(
                    ground=g["ground"],
                    sub_reference=g.get("sub_reference", ""),
                    justification_internal=g.get("justification_internal", ""),
                    public_motive=g.get("public_motive", ""),
                )
                for g in links
            ],
        )
        if not can_see_internal_justification(request.user, asset.ministry_id):
            # Never shown to this caller: a ground kept without one keeps the recorded text.
            existing = {
                link.ground_id: link.justification_internal
                for link in assessment.ground_links.all()
            }
            for g in q.grounds:
                if not g.justification_internal.strip():
                    g.justification_internal = existing.get(g.ground.pk, "")
        for name in QualificationInput.FIELDS:
            if getattr(q, name) is None and name not in (
                "planned_date",
                "published_at",
                "decided_at",
                "review_due",
                "no_anonymisation_category",
            ):
                setattr(q, name, "")
        if can_propose_qualification(request.user, asset):
            # A correspondent proposes; an administrator accepts (DOMAIN §4.18).
            return _propose(request, asset, q, expected)
        try:
            services.asset_qualify(
                actor=request.user,
                asset=asset,
                qualification=q,
                expected_version=expected,
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(QualificationSerializer(_load_assessment(asset), context=context).data)


def _propose(
    request: Request, asset: DataAsset, q: QualificationInput, expected: int | None
) -> Response:
    from datasets import proposals

    try:
        proposal, _ = proposals.proposal_submit(
            actor=request.user, asset=asset, qualification=q, based_on_version=expected
        )
    except services.ConcurrentEditError as exc:
        return _conflict(exc)
    return _proposal_accepted(request, proposal)


def _proposal_accepted(request: Request, proposal: QualificationProposal) -> Response:
    """202 with the proposal a correspondent's write became (applied once accepted)."""
    from datasets import proposals

    row = proposals.with_related(QualificationProposal.objects.filter(pk=proposal.pk)).get()
    return Response(
        ProposalSerializer(row, context={"request": request}).data,
        status=status.HTTP_202_ACCEPTED,
    )


def _load_assessment(asset: DataAsset) -> OpenByDefaultAssessment:
    assessment = (
        OpenByDefaultAssessment.objects.select_related("no_anonymisation_category")
        .prefetch_related("ground_links__ground")
        .filter(asset=asset)
        .first()
    )
    if assessment is None:
        assessment = OpenByDefaultAssessment.objects.create(
            asset=asset, ministry_id=asset.ministry_id
        )
    return assessment


FIELD_TAG = "champs propres au ministère"
FIELD_EDIT = (
    "Seuls les champs envoyés changent (PUT comme PATCH : les autres gardent leur valeur) ; "
    "`code` et `kind` ne changent pas une fois le champ créé (400 s'ils diffèrent) ; "
    "`retired_at: null` rétablit un champ retiré. "
)


@extend_schema(tags=[FIELD_TAG])
@extend_schema_view(
    list=extend_schema(
        summary="Lister les champs propres",
        description="Les champs typés propres aux ministères que vous voyez (retirés compris, "
        "`is_active` faux), par ministère puis dans leur ordre. Filtre `extra.<code>` de "
        "l'inventaire : leur `code`.",
        parameters=[
            OpenApiParameter(
                "ministry",
                OpenApiTypes.INT,
                description="Identifiant d'un ministère : seulement ses champs.",
            )
        ],
        responses={200: ExtraFieldDefinitionSerializer(many=True), **error_responses(401)},
    ),
    create=extend_schema(
        summary="Créer un champ propre",
        description="Ajoute un champ typé aux entrées d'un ministère (réservé à ses "
        "administrateurs et à la DINUM). `code`, `label` et `kind` sont obligatoires ; "
        "`choices` donne les valeurs d'un champ `CHOICE`.",
        parameters=[
            OpenApiParameter(
                "ministry",
                OpenApiTypes.INT,
                description="Ministère (dans l'adresse) ; facultatif si vous n'en administrez "
                "qu'un.",
            )
        ],
        responses={201: ExtraFieldDefinitionSerializer, **error_responses(400, 401, 403, 404, 413)},
    ),
    retrieve=extend_schema(
        summary="Lire un champ propre",
        description="Un champ propre d'un ministère que vous voyez. Sa `version` est celle à "
        "renvoyer pour le modifier ou le retirer.",
        responses={200: ExtraFieldDefinitionSerializer, **error_responses(*READ_ERRORS)},
    ),
    update=extend_schema(
        summary="Modifier un champ propre",
        description=FIELD_EDIT + FIELD_LOCKING,
        request=ExtraFieldDefinitionEditSerializer(partial=True),
        responses={200: ExtraFieldDefinitionSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    partial_update=extend_schema(
        summary="Modifier une partie d'un champ propre",
        description=FIELD_EDIT + FIELD_LOCKING,
        request=ExtraFieldDefinitionEditSerializer,
        responses={200: ExtraFieldDefinitionSerializer, **error_responses(*WRITE_ERRORS)},
    ),
    destroy=extend_schema(
        summary="Retirer un champ propre",
        description="Retire le champ : il n'est plus proposé, mais les valeurs enregistrées "
        "dans les entrées sont gardées (PUT avec `retired_at: null` le rétablit). "
        + FIELD_LOCKING
        + " Ici, `version` va dans l'adresse (`?version=`).",
        parameters=[
            OpenApiParameter(
                "version",
                OpenApiTypes.INT,
                required=True,
                description="Version du champ lue par GET (verrou optimiste).",
            )
        ],
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    ),
)
class ExtraFieldDefinitionViewSet(viewsets.ModelViewSet[ExtraFieldDefinition]):
    """Ministry-specific typed fields. DELETE retires a field: stored values are kept."""

    serializer_class = ExtraFieldDefinitionSerializer
    permission_classes = [AssetPermission]
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ExtraFieldDefinition]:
        access = access_for(self.request.user)
        qs = ExtraFieldDefinition.objects.order_by("ministry_id", "order", "label")
        if not access.sees_all_ministries:
            qs = qs.filter(ministry_id__in=access.visible_ministry_ids)
        ministry = whole_number(self.request.query_params.get("ministry") or "")
        if ministry is not None:
            qs = qs.filter(ministry_id=ministry)
        return qs

    def _ministry(self) -> Ministry:
        raw = self.request.query_params.get("ministry")
        access = access_for(self.request.user)
        if not (access.is_network_staff or access.admin_ministry_ids):
            raise PermissionDenied(
                "Seuls la DINUM et les administrateurs du ministère définissent ses champs propres."
            )
        number = whole_number(raw or "")
        if number is not None:
            ministry = Ministry.objects.for_user(self.request.user).filter(pk=number).first()
            if ministry is None:
                raise Http404
            return ministry
        if len(access.admin_ministry_ids) == 1:
            return Ministry.objects.get(pk=next(iter(access.admin_ministry_ids)))
        raise serializers.ValidationError(
            {"ministry": ["Indiquez le ministère dans l'adresse (?ministry=<id>)."]}
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vd = serializer.validated_data
        definition = services.extra_field_create(
            actor=request.user,
            ministry=self._ministry(),
            code=vd["code"],
            label=vd["label"],
            kind=vd["kind"],
            choices=vd.get("choices"),
            help_text=vd.get("help_text", ""),
            required=vd.get("required", False),
            order=vd.get("order", 0),
        )
        return Response(self.get_serializer(definition).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        definition = self.get_object()
        serializer = self.get_serializer(definition, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vd = serializer.validated_data
        for fixed in ("code", "kind"):
            if fixed in vd and vd[fixed] != getattr(definition, fixed):
                raise serializers.ValidationError(
                    {fixed: ["Le code et le type d'un champ ne changent pas une fois créé."]}
                )
        # Like an entry, a field is changed only by whoever read its current version.
        expected = _version(request, of="du champ")
        body: Any = request.data
        try:
            # Restoring and changing are one write: a refused change must not leave it restored.
            with transaction.atomic():
                if "retired_at" in body and body.get("retired_at") in (None, ""):
                    services.extra_field_retire(
                        actor=request.user,
                        definition=definition,
                        restore=True,
                        expected_version=expected,
                    )
                    expected = definition.version  # one more if it was restored
                definition = services.extra_field_update(
                    actor=request.user,
                    definition=definition,
                    label=vd.get("label"),
                    choices=vd.get("choices"),
                    help_text=vd.get("help_text"),
                    required=vd.get("required"),
                    order=vd.get("order"),
                    expected_version=expected,
                )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(self.get_serializer(definition).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        definition = self.get_object()
        try:
            services.extra_field_retire(
                actor=request.user,
                definition=definition,
                expected_version=_version(request, of="du champ"),
            )
        except services.ConcurrentEditError as exc:
            return _conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)
