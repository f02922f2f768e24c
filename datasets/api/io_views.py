"""REST endpoints of the inventory exports (streaming; same scope as the pages).

`/api/v1/datasets/export.csv|.xlsx` need an account or a token with a ministry scope (drafts
only for one's own ministry); `export.jsonld|.ttl` are the public DCAT-AP catalogue (published
entries only, paged with hydra).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from datasets import views_io
from datasets.api.views import FILTER_PARAMETERS, FILTERS_DOC, api_filters

MINISTRY = OpenApiParameter(
    "ministere", str, description="Code du ministère (par défaut : tout ce que vous voyez)."
)
EXTENDED = OpenApiParameter(
    "etendu",
    bool,
    description="Ajoute les colonnes de qualification et les champs propres au ministère.",
)
COMPLETE = OpenApiParameter(
    "conforme",
    bool,
    description="Seulement les entrées publiées qui renseignent toutes les colonnes obligatoires "
    "du schéma : sans `etendu`, le fichier se valide alors tel quel contre schema.json (avec "
    "`etendu`, les colonnes du portail s'y ajoutent).",
)
HARVEST = OpenApiParameter(
    "moissonnage",
    bool,
    description="Le catalogue à déclarer sur data.gouv.fr : sans les entrées qui ont déjà un "
    "identifiant data.gouv.fr, que le moissonnage dupliquerait.",
)
PAGE = OpenApiParameter("page", int, description="Page du catalogue (hydra:PagedCollection).")
PAGE_SIZE = OpenApiParameter("page_size", int, description="Entrées par page (500 au plus).")


class ExportCsvView(APIView):
    @extend_schema(
        summary="Export CSV de l'inventaire (schéma Catalogue de données d'Etalab)",
        description=FILTERS_DOC,
        parameters=[MINISTRY, EXTENDED, COMPLETE, *FILTER_PARAMETERS],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
        tags=["inventaire"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        params = request.query_params
        return views_io.csv_response(
            request.user,
            params.get("ministere") or None,
            extended=views_io.query_flag(params, "etendu"),
            conforming=views_io.query_flag(params, "conforme"),
            filters=api_filters(request.query_params),
        )


class ExportXlsxView(APIView):
    @extend_schema(
        summary="Export XLSX de l'inventaire",
        description=FILTERS_DOC,
        parameters=[MINISTRY, *FILTER_PARAMETERS],
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY)
        },
        tags=["inventaire"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        return views_io.xlsx_response(
            request.user,
            request.query_params.get("ministere") or None,
            filters=api_filters(request.query_params),
        )


class _DcatView(APIView):
    permission_classes = [AllowAny]
    fmt = "jsonld"

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return views_io.dcat_response(
            request._request, request.query_params.get("ministere") or None, self.fmt
        )


@extend_schema(
    summary="Catalogue DCAT-AP (JSON-LD) des entrées publiées",
    parameters=[MINISTRY, HARVEST, PAGE, PAGE_SIZE],
    responses={(200, "application/ld+json"): OpenApiResponse(OpenApiTypes.OBJECT)},
    tags=["inventaire"],
)
class ExportJsonLdView(_DcatView):
    fmt = "jsonld"


@extend_schema(
    summary="Catalogue DCAT-AP (Turtle) des entrées publiées",
    parameters=[MINISTRY, HARVEST, PAGE, PAGE_SIZE],
    responses={(200, "text/turtle"): OpenApiResponse(OpenApiTypes.STR)},
    tags=["inventaire"],
)
class ExportTurtleView(_DcatView):
    fmt = "turtle"


urlpatterns = [
    path("datasets/export.csv", ExportCsvView.as_view(), name="datasets-export-csv"),
    path("datasets/export.xlsx", ExportXlsxView.as_view(), name="datasets-export-xlsx"),
    path("datasets/export.jsonld", ExportJsonLdView.as_view(), name="datasets-export-jsonld"),
    path("datasets/export.ttl", ExportTurtleView.as_view(), name="datasets-export-ttl"),
]
