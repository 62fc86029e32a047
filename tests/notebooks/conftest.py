"""Notebook tests: one embedded cluster (time-warped) and a kernel environment pointing at it.

Every notebook runs headless with nbclient in its solve path (`ROLLOUT_LAB_SOLVE=1`), with
`KUBECONFIG`, the lab home and the workspace in temporary folders, and the venv's `bin` on
`PATH` so `!kubectl` cells find kubectl as they do under `make lab`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clusters.embedded.cluster import EmbeddedCluster

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TIME_SCALE = 30.0


@pytest.fixture(scope="session")
def notebook_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("nb-cluster"), time_scale=TIME_SCALE)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def kernel_env(notebook_cluster: EmbeddedCluster, tmp_path: Path) -> dict[str, str]:
    """The environment a notebook kernel gets under `make lab`, with private folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "ROLLOUT_LAB_"))}
    env.update(
        KUBECONFIG=str(notebook_cluster.kubeconfig_path),
        ROLLOUT_LAB_HOME=str(tmp_path / "home"),
        ROLLOUT_LAB_WORKSPACE=str(tmp_path / "workspace"),
        ROLLOUT_LAB_TIME_SCALE=f"{TIME_SCALE:g}",
        ROLLOUT_LAB_SOLVE="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        HOME=str(tmp_path),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    return env
