from django.urls import include, path

from datasets import views

app_name = "datasets"
urlpatterns = [
    path("", views.asset_list, name="list"),
    path("actions/", views.bulk_action, name="bulk"),
    path("nouvelle/", views.asset_create, name="create"),
    path("<int:pk>/", views.asset_detail, name="detail"),
    path("<int:pk>/modifier/", views.asset_edit, name="edit"),
    path("<int:pk>/supprimer/", views.asset_delete, name="delete"),
    path("<int:pk>/qualification/", views.asset_qualify, name="qualify"),
    path("<int:pk>/qualification/assistant/", views.qualification_wizard, name="wizard"),
    path(
        "<int:pk>/qualification/versions/<int:history_id>/revenir/",
        views.qualification_revert,
        name="qualification_revert",
    ),
    path("<int:pk>/versions/<int:entry_id>/revenir/", views.asset_revert, name="revert"),
    path("<int:pk>/donnee-de-reference/", views.asset_designation, name="designation"),
    path("champs/", views.extra_fields_index, name="extra_fields_index"),
    path("champs/ministere/<int:ministry_id>/", views.extra_fields, name="extra_fields"),
    path("champs/<int:pk>/modifier/", views.extra_field_edit, name="extra_field_edit"),
    path("champs/<int:pk>/retirer/", views.extra_field_retire, name="extra_field_retire"),
    path("", include("datasets.urls_io")),  # import and exports (helper 4)
    path("", include("datasets.urls_proposals")),  # qualification proposals (DOMAIN §4.18)
]
