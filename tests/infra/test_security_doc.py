"""docs/security.md names, for each trust boundary, the tests that verify it: they must exist."""

import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_every_test_file_the_security_page_names_exists():
    page = (PROJECT_DIR / "docs" / "security.md").read_text()
    named = set(re.findall(r"`(tests/[\w/]+\.py)`", page))
    assert len(named) >= 8
    assert sorted(path for path in named if not (PROJECT_DIR / path).is_file()) == []
