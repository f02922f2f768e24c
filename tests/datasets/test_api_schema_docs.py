"""The OpenAPI schema of the inventory API says, in French, what the API enforces: required
fields, the version of an edit, the error answers, the filters and their values. An unknown
filter value is a 400 in the API (the list page keeps ignoring it)."""

import inspect
import re

import pytest

from datasets.api.proposals import QualificationProposalViewSet
from datasets.api.views import (
    FILTER_VALUES,
    ID_FILTERS,
    DataAssetViewSet,
    ExtraFieldDefinitionViewSet,
)
from datasets.models import (
    AssetType,
    DataAsset,
    OpenByDefaultAssessment,
    ReferenceDataDesignation,
    UpdateFrequency,
)
from datasets.selectors import AssetFilters
from tests.datasets.factories import AssetFactory, ExtraFieldFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"
EXPORTS = ("/api/v1/datasets/export.csv", "/api/v1/datasets/export.xlsx")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(amd_client):
    response = amd_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        if path.startswith(URL):
            for method in METHODS:
                if method in item:
                    yield path, method, item[method]


def request_component(schema, path, method):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]


def parameter(schema, path, name):
    params = schema["paths"][path]["get"]["parameters"]
    return next(p for p in params if p["name"] == name)


# --- Required fields ----------------------------------------------------------------------------


def test_the_create_body_requires_the_type(schema):
    required = request_component(schema, URL, "post")["required"]
    assert {"organization", "title", "description", "asset_type"} <= set(required)


def test_each_field_the_create_schema_requires_is_refused_when_missing(
    schema, amd_client, organization
):
    body = {
        "organization": organization.pk,
        "title": "Registre des associations",
        "description": "Associations déclarées.",
        "asset_type": "API",
    }
    required = request_component(schema, URL, "post")["required"]
    assert set(required) == set(body)  # nothing else is required to create an entry
    for name in required:
        partial = {k: v for k, v in body.items() if k != name}
        response = amd_client.post(URL, partial, format="json")
        assert response.status_code == 400, name
        assert name in response.json(), name
    assert amd_client.post(URL, body, format="json").status_code == 201


EDITS = [
    (URL + "{id}/", "put"),
    (URL + "{id}/", "patch"),
    (URL + "{id}/qualification/", "put"),
    (URL + "extra-fields/{id}/", "put"),
    (URL + "extra-fields/{id}/", "patch"),
    (URL + "{id}/revert/", "post"),
    (URL + "{id}/qualification/revert/", "post"),
]


@pytest.mark.parametrize(("path", "method"), EDITS)
def test_an_edit_requires_the_version_and_explains_the_lock(schema, path, method):
    assert "version" in request_component(schema, path, method)["required"]
    description = schema["paths"][path][method]["description"]
    assert "Verrou optimiste" in description
    assert "GET" in description and "409" in description


def test_the_entry_edit_does_not_require_the_type(schema):
    # asset_update keeps the recorded type: only a creation needs it.
    assert "asset_type" not in request_component(schema, URL + "{id}/", "put")["required"]


@pytest.mark.parametrize("path", [URL + "{id}/", URL + "extra-fields/{id}/"])
def test_a_delete_documents_its_required_version_parameter(schema, path):
    params = schema["paths"][path]["delete"]["parameters"]
    version = next(p for p in params if p["name"] == "version")
    assert version["required"] is True and version["description"]


def test_an_extra_field_put_is_documented_as_partial(schema):
    path = URL + "extra-fields/{id}/"
    put = request_component(schema, path, "put")
    assert put == request_component(schema, path, "patch")
    assert put["required"] == ["version"]
    assert "PUT comme PATCH" in schema["paths"][path]["put"]["description"]


def test_an_extra_field_put_without_its_other_fields_changes_only_what_it_sends(
    amd_client, ministry
):
    field = ExtraFieldFactory(ministry=ministry, label="Sensibilité", order=3)
    response = amd_client.put(
        f"{URL}extra-fields/{field.pk}/", {"label": "Niveau", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["order"]) == ("Niveau", 3)


# --- Errors -------------------------------------------------------------------------------------

ERRORS = {
    (URL, "get"): {400, 401, 404},
    (URL, "post"): {400, 401, 403, 413},
    (URL + "{id}/", "get"): {401, 404},
    (URL + "{id}/", "put"): {400, 401, 403, 404, 409, 413},
    (URL + "{id}/", "patch"): {400, 401, 403, 404, 409, 413},
    (URL + "{id}/", "delete"): {400, 401, 403, 404, 409},
    (URL + "{id}/qualification/", "put"): {400, 401, 403, 404, 409, 413},
    (URL + "{id}/revert/", "post"): {400, 401, 403, 404, 409, 413},
    (URL + "{id}/qualification/revert/", "post"): {400, 401, 403, 404, 409, 413},
    (URL + "extra-fields/", "post"): {400, 401, 403, 404, 413},
    (URL + "extra-fields/{id}/", "put"): {400, 401, 403, 404, 409, 413},
    (URL + "extra-fields/{id}/", "patch"): {400, 401, 403, 404, 409, 413},
    (URL + "extra-fields/{id}/", "delete"): {400, 401, 403, 404, 409},
    (URL + "qualification-proposals/{id}/accept/", "post"): {400, 401, 403, 404, 409, 413},
    (URL + "qualification-proposals/{id}/reject/", "post"): {400, 401, 403, 404, 413},
    (URL + "qualification-proposals/{id}/withdraw/", "post"): {400, 401, 403, 404},
}


@pytest.mark.parametrize(("path", "method"), list(ERRORS))
def test_an_operation_documents_its_error_answers(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    documented = {int(code) for code in responses if int(code) >= 400}
    assert documented == ERRORS[(path, method)]
    for code in documented:
        answer = responses[str(code)]
        assert answer["description"], code
        ref = answer["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/FieldErrors" if code == 400 else "/ApiError"), code


def test_the_error_schemas_are_a_detail_or_lists_of_messages_per_field(schema):
    components = schema["components"]["schemas"]
    assert components["ApiError"]["required"] == ["detail"]
    field_errors = components["FieldErrors"]
    assert field_errors["additionalProperties"]["type"] == "array"
    assert field_errors["properties"]["detail"]["type"] == "string"


def test_the_413_says_the_size_limit(schema, settings):
    answer = schema["paths"][URL]["post"]["responses"]["413"]
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    assert f"{size:g} Mo" in answer["description"]


# --- Filters ------------------------------------------------------------------------------------

SOURCES = {
    "status": OpenByDefaultAssessment.Status.values,
    "asset_type": AssetType.values,
    "update_frequency": UpdateFrequency.values,
    "reference": ReferenceDataDesignation.Regime.values,
    "visibility": DataAsset.Visibility.values,
}


@pytest.mark.parametrize("name", AssetFilters.LIST_FIELDS)
def test_a_filter_value_the_api_documents_is_one_the_list_keeps(name):
    # `FILTER_VALUES` and `AssetFilters.from_query` agree: the schema lists what filters.
    if name in ID_FILTERS:
        assert getattr(AssetFilters.from_query({name: "12,abc"}), name) == [12]
        return
    values = FILTER_VALUES[name]
    assert set(SOURCES.get(name, [])) <= set(values)
    assert getattr(AssetFilters.from_query({name: values + ["inconnue"]}), name) == values


@pytest.mark.parametrize("path", [URL, *EXPORTS])
@pytest.mark.parametrize("name", AssetFilters.LIST_FIELDS)
def test_every_filter_parameter_is_described_with_its_values(schema, path, name):
    param = parameter(schema, path, name)
    assert len(param["description"]) > 20
    items = param["schema"].get("items", param["schema"])
    if name in ID_FILTERS:
        assert items["type"] == "integer"
    else:
        assert sorted(items["enum"]) == sorted(FILTER_VALUES[name])


def test_the_list_describes_the_extra_field_filters(schema):
    assert "extra.<code>" in schema["paths"][URL]["get"]["description"]


@pytest.mark.parametrize("path", EXPORTS)
def test_the_exports_describe_the_extra_field_filters(schema, path):
    assert "extra.<code>" in schema["paths"][path]["get"].get("description", "")


# --- Descriptions and tags ----------------------------------------------------------------------

ENGLISH = re.compile(r"\b(the|this|of|and|when|is|are|with|for|its)\b", re.IGNORECASE)


def docstrings():
    out = set()
    for view in (DataAssetViewSet, ExtraFieldDefinitionViewSet, QualificationProposalViewSet):
        for _, member in [(None, view), *inspect.getmembers(view, inspect.isfunction)]:
            doc = inspect.getdoc(member)
            if doc:
                out.add(" ".join(doc.split()))
    return out


def test_every_operation_has_a_french_summary_and_description(schema):
    docs = docstrings()
    assert docs  # the English docstrings exist: none of them may be a description
    for path, method, op in operations(schema):
        where = f"{method.upper()} {path}"
        if path in (*EXPORTS, URL + "export.jsonld", URL + "export.ttl"):
            continue  # datasets/api/io_views.py
        assert op.get("summary"), where
        description = op.get("description", "")
        assert len(description) > 30, where
        assert " ".join(description.split()) not in docs, where
        assert not ENGLISH.search(description), where
        assert not ENGLISH.search(op["summary"]), where


def test_each_group_of_operations_has_one_french_tag(schema):
    tags: dict[str, set[str]] = {}
    for path, _, op in operations(schema):
        assert len(op["tags"]) == 1, path
        if path.startswith(URL + "extra-fields/"):
            group = "extra-fields"
        elif path.startswith(URL + "qualification-proposals/"):
            group = "proposals"
        else:
            group = "inventory"
        tags.setdefault(group, set()).update(op["tags"])
    assert tags == {
        "inventory": {"inventaire"},
        "extra-fields": {"champs propres au ministère"},
        "proposals": {"propositions de qualification"},
    }


# --- Unknown filter values ----------------------------------------------------------------------

UNKNOWN = [
    ("status", "PUBLSHED"),
    ("asset_type", "nope"),
    ("ministry", "abc"),
    ("organization", "1x"),
    ("update_frequency", "parfois"),
    ("personal_data", "peut-être"),
    ("reference", "officielle"),
    ("visibility", "PUBLIC"),
]


@pytest.mark.parametrize(("name", "value"), UNKNOWN)
def test_an_unknown_filter_value_is_a_400_naming_the_parameter(
    amd_client, organization, name, value
):
    AssetFactory(organization=organization)
    response = amd_client.get(URL, {name: value})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [name]
    message = errors[name][0]
    assert f"« {name} »" in message and value in message
    if name in ID_FILTERS:
        assert "un nombre entier" in message
    else:
        assert all(allowed in message for allowed in FILTER_VALUES[name])


@pytest.mark.parametrize(("name", "value"), UNKNOWN)
def test_the_list_page_still_ignores_an_unknown_filter_value(amd_client, organization, name, value):
    AssetFactory(organization=organization, title="Registre visible")
    response = amd_client.get("/inventaire/", {name: value})
    assert response.status_code == 200
    assert "Registre visible" in response.content.decode()


def test_one_unknown_value_among_known_ones_is_refused(amd_client):
    response = amd_client.get(URL, {"status": ["PUBLISHED", "PUBLSHED"]})
    assert response.status_code == 400
    assert "PUBLSHED" in response.json()["status"][0]


@pytest.fixture
def three_statuses(organization):
    assets = {}
    for status in ("PUBLISHED", "TO_ASSESS", "NOT_COMMUNICABLE"):
        asset = AssetFactory(organization=organization, title=status, asset_type="API")
        OpenByDefaultAssessment.objects.filter(asset=asset).update(status=status)
        assets[status] = asset
    other = AssetFactory(organization=organization, title="tableau", asset_type="JEU_TABULAIRE")
    OpenByDefaultAssessment.objects.filter(asset=other).update(status="OUT_OF_SCOPE")
    return assets


def titles(response):
    assert response.status_code == 200
    return sorted(row["title"] for row in response.json()["results"])


def test_known_filter_values_filter_as_before(amd_client, ministry, three_statuses):
    assert titles(amd_client.get(URL, {"status": "PUBLISHED"})) == ["PUBLISHED"]
    assert titles(amd_client.get(URL, {"asset_type": "API"})) == [
        "NOT_COMMUNICABLE",
        "PUBLISHED",
        "TO_ASSESS",
    ]
    assert len(titles(amd_client.get(URL, {"ministry": ministry.pk}))) == 4
    assert titles(amd_client.get(URL, {"status": ""})) == titles(amd_client.get(URL))


def test_a_repeated_or_comma_separated_status_still_filters(amd_client, three_statuses):
    repeated = titles(amd_client.get(URL, {"status": ["PUBLISHED", "TO_ASSESS"]}))
    assert repeated == ["PUBLISHED", "TO_ASSESS"]
    assert titles(amd_client.get(URL, {"status": "PUBLISHED,TO_ASSESS"})) == repeated


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_refuses_an_unknown_filter_value(amd_client, path):
    assert amd_client.get(path, {"status": "PUBLSHED"}).status_code == 400
