import pytest

from datasets import search
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_highlight_delimiters_typed_by_a_user_never_unbalance_mark(ministry, organization):
    asset = AssetFactory(
        ministry=ministry,
        organization=organization,
        title="Registre \u2999 des \u299a élus <b>x</b>",
        description="Liste \u299a des élus",
    )
    html = search.highlights([asset.pk], "élus")[asset.pk]
    for part in (str(html["title"]), str(html["description"])):
        assert part.count("<mark>") == part.count("</mark>") >= 1
        assert "\u2999" not in part and "\u299a" not in part
        assert "<b>" not in part
