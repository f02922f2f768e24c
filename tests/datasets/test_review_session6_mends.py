"""Found while reading the whole change of sessions 5 and 6."""

import pytest

from datasets.importing import SourceRow, organisation_warnings
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_long_organisation_name_given_in_full_is_no_mismatch():
    """The name was compared cut at 120 characters (the length shown in messages): a file
    giving an organisation's full long name got a false « nom_orga ignoré » warning."""
    long_name = "Direction " + "de l'administration très centrale " * 6
    organization = OrganizationFactory(name=long_name, siret="13002526500013")
    row = SourceRow(line=2, cells={"nom_orga": long_name, "siret_orga": "13002526500013"})
    assert organisation_warnings(row, organization, matched_by="siret_orga") == []
    other = SourceRow(line=3, cells={"nom_orga": "Autre direction", "siret_orga": "13002526500013"})
    (warning,) = organisation_warnings(other, organization, matched_by="siret_orga")
    assert warning.startswith("nom_orga : « Autre direction » du fichier ignoré")
    assert f"« {long_name[:120]} » du portail" in warning
