"""Fixtures for the runtime tests: a recording reporter and a catalog with a test image."""

from __future__ import annotations

import pytest
from runtime_helpers import FIXTURE_APP, TEST_IMAGE, RecordingReporter

from clusters.embedded.kubelet import ImageCatalog, ImageSpec


@pytest.fixture
def catalog() -> ImageCatalog:
    """The lab catalog plus a test image running the fixture HTTP app."""
    images = {name: ImageCatalog().lookup(name) for name in ImageCatalog().names()}
    for name in (TEST_IMAGE, "test/app:v2"):
        images[name] = ImageSpec(name=name, entrypoint=("python", str(FIXTURE_APP)))
    return ImageCatalog({k: v for k, v in images.items() if v is not None})


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()
