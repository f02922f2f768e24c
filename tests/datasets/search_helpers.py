"""Helpers of the full-text search tests: entries known by their title alone, and what the
inventory list finds."""

from tests.datasets.factories import AssetFactory


def titled_entries(organization, titles: dict[str, str]) -> dict:
    """One entry per title, its other searched fields out of the way (the factory's defaults
    speak of « associations »)."""
    return {
        key: AssetFactory(
            organization=organization,
            title=title,
            description="Sans rapport.",
            keywords=[],
            service="",
        )
        for key, title in titles.items()
    }


def found(client, q: str) -> list[str]:
    """The sorted titles the inventory list shows for `q`."""
    response = client.get("/inventaire/", {"q": q})
    assert response.status_code == 200
    return sorted(row["title"] for row, _ in response.context["rows"])
