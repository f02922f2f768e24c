from rest_framework.routers import SimpleRouter

from administrators.api.views import MandateViewSet, MinistryViewSet, OrganizationViewSet

router = SimpleRouter(trailing_slash=True)
router.register("ministries", MinistryViewSet, basename="ministry")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("mandates", MandateViewSet, basename="mandate")
urlpatterns = router.urls
