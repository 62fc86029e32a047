"""A real browser: JupyterLab started by the test, lab 3's notebook run in headless Chromium.

Given the lab's agent Healthy on the embedded cluster with traffic flowing, when Chromium
(Debian's `chromium`, driven by Playwright) opens notebooks/03-canary-analysis.ipynb and runs
its first cells, then the rollout view and the traffic view render in the page — asserted from
the DOM — and a screenshot is saved under test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import NOTEBOOKS, ROOT

from labs.jupyter import free_port, jupyter_command
from labs.runtime import running_traffic

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK = "03-canary-analysis.ipynb"


@pytest.fixture
def lab_ready(kernel_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lab 3's reference manifests applied, Healthy, with traffic running (as a learner would)."""
    for key in (
        "KUBECONFIG",
        "ROLLOUT_LAB_HOME",
        "ROLLOUT_LAB_WORKSPACE",
        "ROLLOUT_LAB_TIME_SCALE",
    ):
        monkeypatch.setenv(key, kernel_env[key])
    from labs.runtime import LabSession

    session = LabSession.open("canary-analysis", record=False)
    session.workspace.use_solution()
    assert session.apply().ok
    session.wait_phase("Healthy", timeout=120)
    session.start_traffic(rps=8)
    assert session.wait_for_traffic()
    yield
    session.stop_traffic()
    session.close()


@pytest.fixture
def jupyterlab(kernel_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """JupyterLab on a copy of the notebooks (the repository's files stay untouched)."""
    root = tmp_path / "lab-root"
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    env = dict(kernel_env)
    env.pop("ROLLOUT_LAB_SOLVE")  # a learner's session, not the solve path
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
        PYTHONPATH=str(ROOT),
    )
    launch = jupyter_command(root, port=free_port(0), extra_env=env)
    with (tmp_path / "jupyterlab.log").open("wb") as log:
        process = subprocess.Popen(
            launch.argv,
            env=launch.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{launch.port}/api/status",
                    headers={"Authorization": f"token {launch.token}"},
                    timeout=2,
                )
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "jupyterlab.log").read_text()[-3000:]
            time.sleep(0.5)
        yield f"http://127.0.0.1:{launch.port}/lab/tree/notebooks/{NOTEBOOK}?token={launch.token}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_rollout_and_traffic_views_render_in_chromium(lab_ready: None, jupyterlab: str):
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium); apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(jupyterlab, timeout=120_000)
            first_cell = page.locator(".jp-Notebook .jp-Cell").first
            first_cell.wait_for(timeout=120_000)
            page.locator(
                ".jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelStatus"
            ).first.wait_for(timeout=120_000)
            try:
                rollout_text, traffic_text, buttons, polylines = run_view_cells(page)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "notebook-views-failure.png"), full_page=True)
                raise
        finally:
            browser.close()
    assert "Status: Healthy" in rollout_text
    assert "rollout-lab/task-agent:v1" in rollout_text
    assert "3/3" in rollout_text  # pods ready of the stable revision, in words
    assert "Traffic running" in traffic_text
    assert "req/s" in traffic_text and "urgent_ratio" in traffic_text
    assert all(count >= 1 for count in buttons)
    assert polylines >= 1  # the plot has a line for v1 (dash pattern + label, not colour)
    assert running_traffic() is None  # the stop button really stopped the traffic process
    assert (ARTIFACTS / "notebook-rollout-traffic-views.png").stat().st_size > 10_000


def run_view_cells(page: Any) -> tuple[str, str, list[int], int]:
    """Run the notebook's first cells (title, setup, prose, rollout view, traffic view)."""
    first_cell = page.locator(".jp-Notebook .jp-Cell").first
    wait_kernel_idle(page)
    first_cell.click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs a cell and moves down
    for _ in range(5):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(500)
        wait_kernel_idle(page)
    rollout = page.locator(".rl-rollout-view").first
    rollout.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.rl-rollout-view')?.innerText.includes('Healthy')",
        timeout=60_000,
    )
    traffic = page.locator(".rl-traffic-view").first
    traffic.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.rl-traffic-table')?.innerText.includes('v1')",
        timeout=60_000,
    )
    # The views re-render while we read them, so read the live DOM in one go.
    rollout_text, traffic_text = page.evaluate(
        "() => ['.rl-rollout-view', '.rl-traffic-view']"
        ".map(sel => document.querySelector(sel).innerText)"
    )
    page.screenshot(path=str(ARTIFACTS / "notebook-rollout-traffic-views.png"), full_page=True)
    buttons = [
        page.locator(f".rl-button-{name}").count() for name in ("promote", "abort", "retry", "undo")
    ]
    polylines = page.locator('.rl-traffic-view polyline[data-version="v1"]').count()
    # A button round trip through the kernel: stop the traffic from the traffic view.
    page.locator(".rl-button-stop").first.click()
    page.wait_for_function(
        "() => document.querySelector('.rl-traffic-state')?.innerText.includes('Traffic stopped')",
        timeout=60_000,
    )
    return rollout_text, traffic_text, buttons, polylines


def wait_kernel_idle(page: Any) -> None:
    """Wait until the status bar says the kernel is Idle (started, nothing running)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".some(item => item.innerText.includes('Idle'))",
        timeout=120_000,
    )
