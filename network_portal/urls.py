from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

admin.site.site_header = "Administration du portail du réseau des AMD"
admin.site.site_title = "Portail AMD"

api_v1 = [
    path("", include("administrators.api.urls")),
    path("", include("datasets.api.urls")),
    path("", include("supervision.api.urls")),
    path("", include("guides.api.urls")),
    path("", include("trainings.api.urls")),
]

urlpatterns = [
    path("", include("core.urls")),
    path("", include("administrators.urls")),
    path("inventaire/", include("datasets.urls")),
    path("supervision/", include("supervision.urls")),
    path("guides/", include("guides.urls")),
    path("formations/", include("trainings.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to block.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

# JSON under /api/, the French pages (templates/400.html, 404.html, 500.html) elsewhere.
handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
