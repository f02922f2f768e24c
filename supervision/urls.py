from django.urls import path

from supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.dashboard_csv, name="dashboard_csv"),
    path("indicateurs/", views.indicators, name="indicators"),
    path("indicateurs/export.csv", views.indicators_csv, name="indicators_csv"),
    path("calculer/", views.compute, name="compute"),
    path("publier/", views.publish, name="publish"),
    path("transparence/", views.transparency, name="transparency"),
    path("transparence/scores.csv", views.transparency_csv, name="transparency_csv"),
    path(
        "transparence/composition.csv",
        views.transparency_composition_csv,
        name="transparency_composition_csv",
    ),
    path(
        "transparence/reunions.csv",
        views.transparency_meetings_csv,
        name="transparency_meetings_csv",
    ),
    path("ministeres/<slug:code>/", views.ministry_detail, name="ministry"),
    path("ministeres/<slug:code>/export.csv", views.ministry_csv, name="ministry_csv"),
    path(
        "ministeres/<slug:code>/criteres/<str:criterion>/", views.criterion_detail, name="criterion"
    ),
    path("reunions/", views.meeting_list, name="meetings"),
    path("reunions/nouvelle/", views.meeting_edit, name="meeting_create"),
    path("reunions/<int:pk>/", views.meeting_detail, name="meeting"),
    path("reunions/<int:pk>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("reunions/<int:pk>/<slug:part>/", views.meeting_part, name="meeting_part"),
    path("actions-de-suivi/<int:pk>/statut/", views.action_item_status, name="action_item_status"),
    path("feuilles-de-route/", views.roadmap_list, name="roadmaps"),
    path("feuilles-de-route/nouvelle/", views.roadmap_edit, name="roadmap_create"),
    path("feuilles-de-route/<int:pk>/", views.roadmap_detail, name="roadmap"),
    path("feuilles-de-route/<int:pk>/modifier/", views.roadmap_edit, name="roadmap_edit"),
    path("feuilles-de-route/<int:pk>/import/", views.roadmap_import, name="roadmap_import"),
    path(
        "feuilles-de-route/<int:roadmap_pk>/actions/nouvelle/",
        views.action_edit,
        name="action_create",
    ),
    path(
        "feuilles-de-route/<int:roadmap_pk>/actions/<int:pk>/",
        views.action_edit,
        name="action_edit",
    ),
]
