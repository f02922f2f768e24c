"""The public catalogue's rows, built in Python (`public_rows`): escaped, linked, dated in
French time."""

import datetime

from django.utils.safestring import mark_safe

from datasets.templatetags.inventory_list import public_rows


def _row(**values):
    row = {
        "pk": 7,
        "title": "Registre <script>alert(1)</script> & co",
        "organization__name": "Direction « A & B »",
        "ministry__short_name": "",
        "ministry__name": "Ministère <i>X</i>",
        "updated_at": datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC),
    }
    row.update(values)
    return row


def test_values_are_escaped_and_linked_to_the_public_page():
    html = str(public_rows([(_row(), None)], searched=False))
    assert '<a href="/inventaire/catalogue/7/">' in html
    assert "Registre &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "Direction « A &amp; B »" in html
    assert "Ministère &lt;i&gt;X&lt;/i&gt;" in html
    assert "<script>" not in html
    assert "<td>01/01/2026</td>" in html  # 23:30 UTC is past midnight in Paris


def test_short_name_first_and_highlights_kept():
    mark = {
        "title": mark_safe("<mark>Registre</mark>"),
        "description": mark_safe("des <mark>élus</mark>"),
    }
    html = str(public_rows([(_row(ministry__short_name="MIN"), mark)], searched=True))
    assert "<td>MIN</td>" in html
    assert "<mark>Registre</mark></a>" in html
    assert '<p class="fr-text--xs fr-mb-0">des <mark>élus</mark></p>' in html


def test_no_row_says_why():
    assert "ne correspond à votre recherche" in str(public_rows([], searched=True))
    assert "Aucune entrée publiée pour l'instant." in str(public_rows([], searched=False))
