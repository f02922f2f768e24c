"""Every DSFR table's scrolling container can take the keyboard focus: on a phone a wide table
scrolls sideways, and a region that scrolls must be reachable without a mouse (axe rule
`scrollable-region-focusable`, serious)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = re.compile(r'<div class="fr-table__container"([^>]*)>')


def test_every_table_container_is_focusable():
    templates = [p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts] + list(
        (ROOT / "templates").glob("**/*.html")
    )
    found = 0
    for path in templates:
        for match in CONTAINER.finditer(path.read_text()):
            found += 1
            assert 'tabindex="0"' in match.group(1), path
    assert found > 10
