"""REST representations of the inventory. Writes go through `datasets.services`; the ministry is
read-only (it follows the organisation), and internal justifications are only shown to the
ministry's administrators and to DINUM."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from core.api import too_big_message
from core.models import HvdCategory, LegalGround, Licence, NoAnonymisationCategory
from datasets.models import (
    AssessmentHistory,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    OpenByDefaultAssessment,
    PersonalDataProcessing,
)
from datasets.permissions import can_see_internal_justification
from datasets.selectors import editable_organizations


class AssessmentSummarySerializer(serializers.ModelSerializer[OpenByDefaultAssessment]):
    ouverture_status = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = OpenByDefaultAssessment
        fields = ["status", "obligation_basis", "planned_date", "ouverture_status", "is_overdue"]
        read_only_fields = fields


class DataAssetSerializer(serializers.ModelSerializer[DataAsset]):
    ministry: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    ministry_name = serializers.CharField(source="ministry.name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    formats = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Format.objects.all(), required=False
    )
    licence = serializers.SlugRelatedField(
        slug_field="spdx_id", queryset=Licence.objects.all(), required=False, allow_null=True
    )
    hvd_category = serializers.SlugRelatedField(
        slug_field="code", queryset=HvdCategory.objects.all(), required=False, allow_null=True
    )
    processing = serializers.PrimaryKeyRelatedField(
        queryset=PersonalDataProcessing.objects.all(), required=False, allow_null=True
    )
    keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    internal_uses = serializers.ListField(child=serializers.CharField(), required=False)
    personal_data_categories = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Codes de la table des catégories de données personnelles (IDENTIFICATION, "
        "CONTACT, SANTE, NIR, INFRACTIONS…, voir l'administration), seulement si "
        "`contains_personal_data` ; une valeur déjà enregistrée hors de la table est conservée.",
    )
    extra = serializers.DictField(required=False)
    assessment = AssessmentSummarySerializer(read_only=True)
    version = serializers.IntegerField(
        required=False,
        help_text="Version lue (verrou optimiste) : obligatoire pour modifier l'entrée.",
    )
    # Plain strings so that bad values get the portal's French messages (datasets.validation).
    url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    sample_url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    contact_service = serializers.CharField(required=False, allow_blank=True, max_length=254)
    contact_person = serializers.CharField(required=False, allow_blank=True, max_length=254)
    first_published_at = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    last_updated_at = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = DataAsset
        fields = [
            "id",
            "ministry",
            "ministry_name",
            "organization",
            "organization_name",
            "visibility",
            "title",
            "description",
            "keywords",
            "service",
            "source_system",
            "contact_service",
            "contact_person",
            "first_published_at",
            "last_updated_at",
            "update_frequency",
            "geo_coverage",
            "url",
            "formats",
            "licence",
            "asset_type",
            "acronym",
            "field_list",
            "collection_process",
            "sample_url",
            "volume",
            "in_rip",
            "contains_personal_data",
            "personal_data_categories",
            "processing",
            "sharing_mode",
            "internal_uses",
            "hvd_category",
            "datagouv_dataset_id",
            "criticality",
            "extra",
            "assessment",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and "organization" in fields:
            # An organisation the caller may not attach entries to reads as unknown (whether
            # it exists elsewhere does not leak), with a message that says what to send.
            fields["organization"] = serializers.PrimaryKeyRelatedField(
                queryset=editable_organizations(request.user),
                required=not self.partial,
                error_messages={
                    "does_not_exist": (
                        "Organisation « {pk_value} » inconnue, ou hors des organisations où vous "
                        "pouvez créer ou modifier des entrées : indiquez l'identifiant d'une "
                        "organisation où vous le pouvez."
                    ),
                    "incorrect_type": (
                        "L'organisation doit être indiquée par son identifiant numérique."
                    ),
                },
            )
        if request is not None and "processing" in fields:
            # Another ministry's processing reads as unknown: its existence does not leak.
            fields["processing"] = serializers.PrimaryKeyRelatedField(
                queryset=PersonalDataProcessing.objects.filter(
                    ministry_id__in=editable_organizations(request.user).values("ministry_id")
                ),
                required=False,
                allow_null=True,
            )
        if self.instance is None and "asset_type" in fields:
            # Required to create an entry (datasets.validation); an edit keeps the recorded one.
            fields["asset_type"].required = True
        return fields

    def to_representation(self, instance: DataAsset) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in ("first_published_at", "last_updated_at"):
            value = getattr(instance, name)
            data[name] = value.isoformat() if value else None
        return data


class GroundSerializer(serializers.Serializer[Any]):
    code = serializers.SlugRelatedField(
        slug_field="code", queryset=LegalGround.objects.all(), source="ground"
    )
    ground_label = serializers.CharField(source="ground.label", read_only=True)
    ground_regime = serializers.CharField(source="ground.regime", read_only=True)
    sub_reference = serializers.CharField(required=False, allow_blank=True, max_length=300)
    justification_internal = serializers.CharField(required=False, allow_blank=True)
    public_motive = serializers.CharField(required=False, allow_blank=True, max_length=300)


class QualificationSerializer(serializers.ModelSerializer[OpenByDefaultAssessment]):
    grounds = GroundSerializer(many=True, source="ground_links", required=False)
    no_anonymisation_category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=NoAnonymisationCategory.objects.all(),
        required=False,
        allow_null=True,
    )
    ouverture_status = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    published_url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    planned_date = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    version = serializers.IntegerField(
        required=False, help_text="Version lue de la qualification (verrou optimiste)."
    )

    class Meta:
        model = OpenByDefaultAssessment
        fields = [
            "status",
            "obligation_basis",
            "sectoral_reference",
            "grounds",
            "occultation_method",
            "personal_data_basis",
            "no_anonymisation_category",
            "personal_data_reference",
            "planned_date",
            "published_url",
            "published_at",
            "decided_by",
            "decided_at",
            "cada_avis_ref",
            "review_due",
            "ouverture_status",
            "is_overdue",
            "version",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def to_representation(self, instance: OpenByDefaultAssessment) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["planned_date"] = instance.planned_date.isoformat() if instance.planned_date else None
        request = self.context.get("request")
        if request is None or not can_see_internal_justification(
            request.user, instance.ministry_id
        ):
            for g in data.get("grounds") or []:
                g.pop("justification_internal", None)
        return data


class AssessmentHistorySerializer(serializers.ModelSerializer[AssessmentHistory]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentHistory
        fields = ["id", "recorded_at", "actor", "status", "obligation_basis", "data", "comment"]

    def get_actor(self, obj: AssessmentHistory) -> str:
        return str(obj.actor) if obj.actor else ""

    def to_representation(self, instance: AssessmentHistory) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_see_internal_justification(
            request.user, instance.ministry_id_at
        ):
            grounds = [
                {k: val for k, val in g.items() if k != "justification_internal"}
                for g in (data["data"] or {}).get("grounds", [])
            ]
            data["data"] = {**(data["data"] or {}), "grounds": grounds}
        return data


class ExtraFieldDefinitionSerializer(serializers.ModelSerializer[ExtraFieldDefinition]):
    ministry: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    is_active = serializers.BooleanField(read_only=True)
    choices = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    version = serializers.IntegerField(
        required=False,
        help_text="Version lue (verrou optimiste) : obligatoire pour modifier le champ.",
    )

    class Meta:
        model = ExtraFieldDefinition
        fields = [
            "id",
            "ministry",
            "code",
            "label",
            "kind",
            "choices",
            "help_text",
            "required",
            "order",
            "retired_at",
            "is_active",
            "version",
        ]
        read_only_fields = ["id", "retired_at"]


class AssetChangeFieldSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        help_text="Champ de l'entrée, ou `qualification.<champ>`, `reference.<champ>`."
    )
    # A declared field named like Field.label: DRF's metaclass takes it out of the class.
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AssetChangeSerializer(serializers.Serializer[Any]):
    """One change of an entry's history (its audit trail), as the entry page shows it."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="Vide pour un import ou un traitement automatique.")
    action = serializers.CharField()
    action_label = serializers.CharField()
    revertible = serializers.BooleanField(
        help_text="L'entrée peut revenir à son état juste après ce changement "
        "(POST /api/v1/datasets/{id}/revert/)."
    )
    changes = AssetChangeFieldSerializer(many=True)


class AssetChangesSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(help_text="Version de l'entrée lue avec cet historique.")
    qualification_version = serializers.IntegerField(
        allow_null=True, help_text="Version de sa qualification lue avec cet historique."
    )
    results = AssetChangeSerializer(many=True)


class RevertSerializer(serializers.Serializer[Any]):
    change = serializers.IntegerField(
        help_text="Identifiant du changement (GET /api/v1/datasets/{id}/changes/) après lequel "
        "l'entrée doit revenir."
    )
    version = serializers.IntegerField(help_text="Version de l'entrée lue (verrou optimiste).")


class QualificationRevertSerializer(serializers.Serializer[Any]):
    history = serializers.IntegerField(
        help_text="Identifiant de la qualification enregistrée (GET /api/v1/datasets/{id}/"
        "history/) à rétablir."
    )
    version = serializers.IntegerField(
        help_text="Version de la qualification lue (verrou optimiste)."
    )


# --- Request schemas of the edits, and the error answers (OpenAPI only) ------------------------


class VersionRequired:
    """Marks an edit's request schema: its `version` stays required in a partial body (PATCH),
    where drf-spectacular would otherwise drop every `required` (`VersionRequiredSchema`)."""


class VersionRequiredSchema(OpenApiSerializerExtension):
    target_class = VersionRequired
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        required = schema.get("required") or []
        if direction == "request" and "version" not in required:
            schema["required"] = [*required, "version"]
        return schema


LOCK_HELP = (
    "Version lue par GET (verrou optimiste) : obligatoire ; si l'objet a changé depuis, la "
    "réponse est 409 et rien n'est modifié."
)


class DataAssetEditSerializer(VersionRequired, DataAssetSerializer):
    """Request schema of PUT / PATCH on an entry: `version` is required (the view checks it),
    the type may be left out (the recorded one is kept)."""

    version = serializers.IntegerField(help_text=LOCK_HELP)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["asset_type"].required = False
        return fields


class QualificationEditSerializer(VersionRequired, QualificationSerializer):
    """Request schema of PUT `qualification/`: `version` is required (the view checks it)."""

    version = serializers.IntegerField(help_text=LOCK_HELP)


# Only ever partial: named like DRF's own PATCH body ("PatchedExtraFieldDefinitionRequest"),
# which also keeps its `kind` choices one enum with the definition's.
@extend_schema_serializer(component_name="ExtraFieldDefinition")
class ExtraFieldDefinitionEditSerializer(VersionRequired, ExtraFieldDefinitionSerializer):
    """Request schema of PUT / PATCH on an extra field: both change only the fields sent
    (`partial`), and `version` is required (the view checks it)."""

    version = serializers.IntegerField(help_text=LOCK_HELP)


class ApiErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="Message en français qui dit quoi faire.")


class FieldErrorsSerializer(serializers.Serializer[Any]):
    """A 400's body: its schema is `FieldErrorsSchema`."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        return {
            "type": "object",
            "description": "Les messages en français de chaque champ refusé, par nom de champ "
            "(`non_field_errors` pour la requête dans son ensemble, un objet par élément pour "
            "une liste d'objets comme `grounds`) ; `detail` seul pour un corps illisible.",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": {
                "type": "array",
                "items": {"oneOf": [{"type": "string"}, {"type": "object"}]},
            },
            "example": {"title": ["Ce champ est obligatoire."]},
        }


ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        FieldErrorsSerializer,
        description="Requête invalide : champ manquant ou refusé, filtre inconnu, JSON illisible.",
    ),
    401: OpenApiResponse(
        ApiErrorSerializer,
        description="Non authentifié : jeton (`Authorization: Token …`) ou session manquant "
        "ou invalide.",
    ),
    403: OpenApiResponse(
        ApiErrorSerializer,
        description="Refusé : jeton en lecture seule, ou droits insuffisants sur cet objet.",
    ),
    404: OpenApiResponse(
        ApiErrorSerializer,
        description="Introuvable : objet inexistant ou hors de votre périmètre (celui d'un autre "
        "ministère répond 404), ou curseur de pagination invalide.",
    ),
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="Version périmée : l'objet a changé depuis votre lecture. Relisez-le (GET) "
        "et renvoyez la modification avec sa nouvelle `version`.",
    ),
    413: OpenApiResponse(ApiErrorSerializer, description=too_big_message()),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, to add to its success ones."""
    return {code: ERROR_RESPONSES[code] for code in codes}


READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413)
