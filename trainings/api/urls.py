from django.urls import path
from rest_framework.routers import SimpleRouter

from trainings.api.views import (
    EventViewSet,
    ImpactIndicatorViewSet,
    MeasurementViewSet,
    RegistrationViewSet,
    TrainingCourseViewSet,
    TrainingSessionViewSet,
    TrainingStatsView,
)

router = SimpleRouter(trailing_slash=True)
router.register("training-courses", TrainingCourseViewSet, basename="training-course")
router.register("training-sessions", TrainingSessionViewSet, basename="training-session")
router.register("training-registrations", RegistrationViewSet, basename="training-registration")
router.register("events", EventViewSet, basename="event")
router.register("impact-indicators", ImpactIndicatorViewSet, basename="impact-indicator")
router.register("impact-measurements", MeasurementViewSet, basename="impact-measurement")
urlpatterns = [
    path("training-stats/", TrainingStatsView.as_view(), name="training-stats"),
    *router.urls,
]
