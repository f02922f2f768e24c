from django.urls import path

from guides import views

app_name = "guides"
urlpatterns = [
    path("", views.guide_list, name="list"),
    path("nouveau/", views.guide_create, name="create"),
    path("<slug:slug>/", views.guide_detail, name="detail"),
    path("<slug:slug>/historique/", views.guide_history, name="history"),
    path("<slug:slug>/versions/nouvelle/", views.version_create, name="version-create"),
    path("<slug:slug>/versions/<str:version>/", views.version_detail, name="version-detail"),
    path("<slug:slug>/versions/<str:version>/modifier/", views.version_edit, name="version-edit"),
    path(
        "<slug:slug>/versions/<str:version>/statut/",
        views.version_transition,
        name="version-transition",
    ),
]
