from rest_framework.routers import SimpleRouter

from datasets.api.io_views import urlpatterns as io_urlpatterns

router = SimpleRouter(trailing_slash=True)
urlpatterns = [*io_urlpatterns, *router.urls]
