"""The system check of the French collation (administrators/checks.py)."""

import pytest

from administrators import checks

pytestmark = pytest.mark.django_db


def test_the_french_collation_is_there():
    assert checks.french_collation_exists(databases=["default"]) == []


def test_a_missing_collation_is_an_error_in_french(monkeypatch):
    from administrators import selectors

    monkeypatch.setattr(selectors, "FRENCH_COLLATION", "xx-absente")
    errors = checks.french_collation_exists(databases=["default"])
    assert [e.id for e in errors] == ["administrators.E001"]
    assert "xx-absente" in errors[0].msg and "ICU" in errors[0].msg


def test_no_database_asked_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert checks.french_collation_exists(databases=None) == []
