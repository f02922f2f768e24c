"""URLs of the inventory import and exports (included by datasets/urls.py under /inventaire/)."""

from django.urls import path

from datasets import views_io

urlpatterns = [
    path("import/", views_io.import_start, name="import"),
    path("import/<int:pk>/", views_io.import_job, name="import_job"),
    path("import/<int:pk>/statut.json", views_io.import_status, name="import_status"),
    path("import/<int:pk>/confirmer/", views_io.import_confirm, name="import_confirm"),
    path("import/<int:pk>/annuler/", views_io.import_cancel, name="import_cancel"),
    path("export/", views_io.export_page, name="export"),
    path("export.csv", views_io.export_csv, name="export_csv"),
    path("export.xlsx", views_io.export_xlsx, name="export_xlsx"),
    path("catalogue/", views_io.public_catalogue_page, name="public_catalogue"),
    path("catalogue/<int:pk>/", views_io.public_entry, name="public_entry"),
    path("catalogue.jsonld", views_io.dcat_network, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("catalogue.ttl", views_io.dcat_network, {"fmt": "turtle"}, name="dcat_turtle"),
    path(
        "catalogue/<slug:code>.jsonld",
        views_io.dcat_ministry,
        {"fmt": "jsonld"},
        name="dcat_ministry_jsonld",
    ),
    path(
        "catalogue/<slug:code>.ttl",
        views_io.dcat_ministry,
        {"fmt": "turtle"},
        name="dcat_ministry_turtle",
    ),
]
