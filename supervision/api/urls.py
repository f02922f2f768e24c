from django.urls import path
from rest_framework.routers import SimpleRouter

from supervision.api import views

router = SimpleRouter(trailing_slash=True)
router.register("roadmaps", views.RoadmapViewSet, basename="roadmap")
router.register("roadmap-actions", views.RoadmapActionViewSet, basename="roadmap-action")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("action-items", views.ActionItemViewSet, basename="action-item")

urlpatterns = [
    path("progress/", views.NetworkProgressView.as_view(), name="progress"),
    path("progress/<slug:code>/", views.MinistryProgressView.as_view(), name="progress-ministry"),
    *router.urls,
]
