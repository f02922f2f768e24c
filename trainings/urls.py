from django.urls import path

from trainings import views

app_name = "trainings"
urlpatterns = [
    path("", views.home, name="home"),
    path("calendrier.ics", views.calendar_feed, name="calendar-feed"),
    path("catalogue/nouvelle/", views.course_create, name="course-create"),
    path("catalogue/<slug:code>/", views.course_detail, name="course-detail"),
    path("sessions/nouvelle/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/modifier/", views.session_edit, name="session-edit"),
    path("sessions/<int:pk>/annuler/", views.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/inscription/", views.session_register, name="session-register"),
    path(
        "sessions/<int:pk>/inscriptions/", views.session_registrations, name="session-registrations"
    ),
    path("sessions/<int:pk>/session.ics", views.session_ics, name="session-ics"),
    path("inscriptions/<int:pk>/annuler/", views.registration_cancel, name="registration-cancel"),
    path("inscriptions/<int:pk>/satisfaction/", views.satisfaction, name="satisfaction"),
    path("mes-inscriptions/", views.my_registrations, name="my-registrations"),
    path("mes-sessions/", views.my_sessions, name="my-sessions"),
    path("statistiques/", views.stats, name="stats"),
    path("evenements/", views.event_list, name="event-list"),
    path("evenements/nouveau/", views.event_create, name="event-create"),
    path("evenements/<int:pk>/", views.event_detail, name="event-detail"),
    path("evenements/<int:pk>/modifier/", views.event_edit, name="event-edit"),
    path("impact/", views.impact, name="impact"),
    path("impact/indicateurs/nouveau/", views.indicator_create, name="indicator-create"),
    path("impact/mesures/nouvelle/", views.measurement_create, name="measurement-create"),
    path("impact/import/", views.measurement_import, name="measurement-import"),
]
