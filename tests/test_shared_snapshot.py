"""tests/data/shared is a snapshot of the project's shared/ for clones that do not sit beside it."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_BESIDE, SNAPSHOT


@pytest.mark.skipif(not SHARED_BESIDE.is_dir(), reason="no shared/ beside this checkout to compare with")
def test_snapshot_matches_shared():
    for copy in sorted(p for p in SNAPSHOT.rglob("*") if p.is_file()):
        original = SHARED_BESIDE / copy.relative_to(SNAPSHOT)
        assert copy.read_bytes() == original.read_bytes(), f"{copy} differs from {original}: refresh it"
