from django.urls import path

from administrators import views

app_name = "administrators"
urlpatterns = [
    path("", views.home, name="home"),
    path("annuaire/", views.directory, name="directory"),
    path("mon-ministere/", views.my_ministry, name="my-ministry"),
    path("ministeres/", views.ministry_list, name="ministry-list"),
    path("ministeres/nouveau/", views.ministry_create, name="ministry-create"),
    path("ministeres/<slug:code>/", views.ministry_detail, name="ministry-detail"),
    path("ministeres/<slug:code>/modifier/", views.ministry_edit, name="ministry-edit"),
    path("ministeres/<slug:code>/roles/", views.ministry_roles, name="ministry-roles"),
    path(
        "ministeres/<slug:code>/organisations/nouvelle/",
        views.organization_edit,
        name="organization-create",
    ),
    path(
        "ministeres/<slug:code>/organisations/<int:pk>/",
        views.organization_detail,
        name="organization-detail",
    ),
    path(
        "ministeres/<slug:code>/organisations/<int:pk>/modifier/",
        views.organization_edit,
        name="organization-edit",
    ),
    path("ministeres/<slug:code>/mandats/nouveau/", views.mandate_edit, name="mandate-create"),
    path("ministeres/<slug:code>/mandats/<int:pk>/", views.mandate_detail, name="mandate-detail"),
    path(
        "ministeres/<slug:code>/mandats/<int:pk>/modifier/", views.mandate_edit, name="mandate-edit"
    ),
    path("ministeres/<slug:code>/mandats/<int:pk>/clore/", views.mandate_end, name="mandate-end"),
    path(
        "ministeres/<slug:code>/mandats/<int:pk>/personne/", views.person_edit, name="person-edit"
    ),
    path("reseau/roles/", views.network_roles, name="network-roles"),
    path("reseau/roles/<int:pk>/retirer/", views.membership_revoke, name="membership-revoke"),
]
