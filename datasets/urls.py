from django.urls import include, path  # noqa: F401

app_name = "datasets"
urlpatterns: list = [
    path("", include("datasets.urls_io")),  # import and exports (helper 4)
]
