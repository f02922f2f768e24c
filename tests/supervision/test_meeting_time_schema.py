"""A meeting's hours are local times without an offset: the OpenAPI schema says so (its
`format: time` would require an offset, which a strict client then demands)."""

import pytest
import yaml
from rest_framework.test import APIClient

from tests.conftest import make_token

pytestmark = pytest.mark.django_db


def test_meeting_hours_are_described_as_local_times(agd_client):
    schema = yaml.safe_load(agd_client.get("/api/schema/").content)
    for name in ("Meeting", "MeetingRequest", "PatchedMeetingRequest"):
        properties = schema["components"]["schemas"][name]["properties"]
        for field in ("start_time", "end_time"):
            assert "format" not in properties[field]
            assert properties[field]["pattern"].startswith("^\\d{1,2}:\\d{2}")
            assert properties[field]["nullable"] is True


def test_a_meeting_hour_is_read_and_written_as_before(agd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(agd_user, can_write=True)}")
    created = client.post(
        "/api/v1/meetings/",
        {
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière",
            "date": "2026-12-10",
            "start_time": "09:30",
            "end_time": "11:00",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["start_time"] == "09:30:00"
    assert created.json()["end_time"] == "11:00:00"
