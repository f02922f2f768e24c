"""`QuickSelect` writes the markup of Django's `Select` (its templates), faster."""

import re

import pytest
from django import forms

from core.forms import QuickSelect

CHOICES = [("", "Tous"), (1, "Culture & <b>sport</b>"), (2, "Santé « publique »"), (30, 'A"B')]


def _field(widget, value):
    class Form(forms.Form):
        choice = forms.TypedChoiceField(
            choices=CHOICES, required=False, coerce=int, empty_value=None, widget=widget
        )

    return Form({"choice": value})["choice"].as_widget()


def _parts(html: str) -> tuple[set[str], str]:
    """The select's attributes (in any order) and its options, without the spaces between
    tags."""
    tight = re.sub(r">\s+<", "><", html.strip())
    opening, options = re.fullmatch(r"<select ([^>]*)>(.*)</select>", tight).groups()
    return set(re.findall(r'[\w-]+="[^"]*"|[\w-]+', opening)), options


@pytest.mark.parametrize("value", ["", "1", "30", "999", None, "<x>"])
def test_same_markup_as_djangos_select(value):
    assert _parts(_field(QuickSelect, value)) == _parts(_field(forms.Select, value))


def test_values_and_labels_are_escaped():
    html = _field(QuickSelect, "30")
    assert "Culture &amp; &lt;b&gt;sport&lt;/b&gt;" in html
    assert '<option value="30" selected>A&quot;B</option>' in html
    assert "<b>" not in html
