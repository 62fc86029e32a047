"""Fixtures for the analysis tests (helpers live in analysis_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from analysis_helpers import ScriptedServer, serving


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    with serving() as server:
        yield server
