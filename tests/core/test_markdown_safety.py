"""The check of guide and meeting texts refuses script links, not French prose (found by the
QA pass: « open data : » and « metadata: » were refused as data: links)."""

import pytest
from django.core.exceptions import ValidationError

from core.markdown import render_markdown, validate_safe_markdown


@pytest.mark.parametrize(
    "text",
    [
        "Sprint open data : les ministères présentent leur bilan.",
        "metadata: titre, description",
        "Data : premier point. Transcript de la séance en annexe.",
        "Le format de date: JJ/MM/AAAA",
        "Les API (javascript, python) : voir le guide.",
        "Voir [le guide](https://guides.etalab.gouv.fr/data.gouv.fr/) : data.gouv.fr",
        "La balise &lt;script&gt; n'est jamais exécutée ; data&nbsp;: premier point.",
        "R&amp;D : javascript &amp; python",
    ],
)
def test_prose_is_accepted(text):
    validate_safe_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        "[a](javascript:alert(1))",
        "[a](JavaScript:alert(1))",
        "[a](javascript: alert(1))",
        "<javascript:alert(1)>",
        "[a](java\tscript:alert(1))",
        "[a](java script:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![i](data:image/svg+xml;base64,PHN2Zz4=)",
        "[v](vbscript:msgbox(1))",
        '<a href="javascript:x">lien</a>',
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](JAVASCRIPT&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](javascript&colon;alert(1))",
        "[x](&#x6A;ava&#x09;script&#x3A;alert(1))",
        "[x](data&#58;text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_script_links_and_markup_are_refused(text):
    with pytest.raises(ValidationError) as caught:
        validate_safe_markdown(text)
    assert "contenu interdit" in caught.value.messages[0]


def test_what_is_accepted_renders_without_a_script_link():
    html = render_markdown("Sprint open data : [guide](https://www.data.gouv.fr/)")
    assert "open data :" in html and 'href="https://www.data.gouv.fr/"' in html
