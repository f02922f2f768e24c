"""Serializers of the guides API: shape and types only; the services validate and write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.concurrency import expected_updated_at_field
from core.markdown import render_markdown
from core.models import LegalReference
from guides.models import Guide, GuideVersion


class LegalReferenceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalReference
        fields = ["id", "code", "text_name", "article", "version_date", "url"]


class PublishedVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GuideVersion
        fields = ["id", "version", "published_at", "changelog"]


class GuideSerializer(serializers.ModelSerializer):
    published_version = PublishedVersionSerializer(read_only=True, allow_null=True)
    needs_review = serializers.BooleanField(read_only=True)
    licence: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="spdx_id", read_only=True
    )

    class Meta:
        model = Guide
        fields = [
            "id",
            "slug",
            "title",
            "summary",
            "theme",
            "licence",
            "published_version",
            "needs_review",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class GuideCreateSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=120, required=False, allow_blank=True)
    title = serializers.CharField(max_length=300)
    theme = serializers.ChoiceField(choices=Guide.Theme.choices)
    summary = serializers.CharField(required=False, allow_blank=True)
    version = serializers.CharField(max_length=32, default="0.1.0")
    body = serializers.CharField()
    changelog = serializers.CharField(required=False, allow_blank=True, default="")
    legal_references = serializers.PrimaryKeyRelatedField(
        queryset=LegalReference.objects.all(), many=True, required=False
    )
    review_due = serializers.DateField(required=False, allow_null=True)


class GuideUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    theme = serializers.ChoiceField(choices=Guide.Theme.choices, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)


class GuideVersionSerializer(serializers.ModelSerializer):
    guide = serializers.SlugRelatedField(slug_field="slug", queryset=Guide.objects.all())
    legal_references = serializers.PrimaryKeyRelatedField(
        queryset=LegalReference.objects.all(), many=True, required=False
    )
    # By name only: the approver's e-mail is never published (public versions are anonymous).
    approved_by = serializers.SerializerMethodField()
    needs_review = serializers.BooleanField(read_only=True)
    body_html = serializers.SerializerMethodField()
    expected_updated_at = expected_updated_at_field("la version")

    class Meta:
        model = GuideVersion
        fields = [
            "id",
            "guide",
            "version",
            "status",
            "changelog",
            "body",
            "body_html",
            "legal_references",
            "published_at",
            "approved_by",
            "review_due",
            "needs_review",
            "created_at",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["status", "published_at", "approved_by", "created_at", "updated_at"]

    def get_approved_by(self, obj: GuideVersion) -> str | None:
        if obj.approved_by is None:
            return None
        return obj.approved_by.get_full_name() or "l'équipe DINUM"

    def get_body_html(self, obj: GuideVersion) -> str:
        return str(render_markdown(obj.body, with_toc=True))

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["guide"].read_only = True
            fields["version"].read_only = True
        return fields


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GuideVersion.Status.choices)
