from rest_framework.routers import SimpleRouter

from guides.api.views import GuideVersionViewSet, GuideViewSet

router = SimpleRouter(trailing_slash=True)
router.register("guides", GuideViewSet, basename="guide")
router.register("guide-versions", GuideVersionViewSet, basename="guide-version")
urlpatterns = router.urls
