from rest_framework.routers import SimpleRouter

from datasets.api.io_views import urlpatterns as io_urlpatterns
from datasets.api.proposals import QualificationProposalViewSet
from datasets.api.views import DataAssetViewSet, ExtraFieldDefinitionViewSet

router = SimpleRouter(trailing_slash=True)
# Registered before the entries so that "extra-fields" is not read as an entry id.
router.register("datasets/extra-fields", ExtraFieldDefinitionViewSet, basename="extra-field")
router.register(
    "datasets/qualification-proposals",
    QualificationProposalViewSet,
    basename="qualification-proposal",
)
router.register("datasets", DataAssetViewSet, basename="dataset")
urlpatterns = [*io_urlpatterns, *router.urls]
