"""The main menu marks one current section: the longest address the page is under."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _current(html: str) -> list[str]:
    return re.findall(r'<a class="fr-nav__link" href="([^"]+)" aria-current="page">', html)


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/inventaire/", ["/inventaire/"]),
        ("/inventaire/catalogue/", ["/inventaire/catalogue/"]),
        ("/guides/", ["/guides/"]),
        ("/", ["/"]),
        ("/plan-du-site/", []),
    ],
)
def test_one_current_section(amd_client, path, current):
    response = amd_client.get(path)
    assert response.status_code == 200
    assert _current(response.content.decode()) == current


def test_visitors_find_the_published_data_in_the_menu(anon_client):
    html = anon_client.get("/").content.decode()
    assert 'href="/inventaire/catalogue/" >Données publiées</a>' in html
    assert 'href="/inventaire/">' not in html.split('id="main-nav"')[1].split("</nav>")[0]
