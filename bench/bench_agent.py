"""Print each agent version's figures on the standard mix, measured over real loopback HTTP.

Run: `.venv/bin/python bench/bench_agent.py [--seed 0] [--workers 8]`. Latency is wall time and
depends on the machine (printed first); urgent_ratio and error_rate are deterministic.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from agent.app import create_app
from agent.mix import standard_mix
from agent.server import ServerThread
from agent.telemetry import p95
from agent.template import available_versions, load_template


def bench_version(version: str, seed: int, workers: int) -> dict[str, float]:
    """Send the standard mix to one version; client-side figures plus the agent's /stats."""
    mix = standard_mix(seed)
    server = ServerThread(create_app(version, request_log=None))
    with server, httpx.Client(base_url=server.url, timeout=10) as client:

        def post(body: dict[str, object]) -> tuple[int, float, list[str]]:
            started = time.perf_counter()
            response = client.post("/v1/plan", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            tasks = response.json().get("tasks", []) if response.status_code == 200 else []
            return response.status_code, elapsed, [t["priority"] for t in tasks]

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(post, mix))
        stats = client.get("/stats").json()
    priorities = [p for _, _, plan in results for p in plan]
    return {
        "urgent_ratio": sum(p == "P0" for p in priorities) / len(priorities),
        "error_rate": sum(status >= 500 for status, _, _ in results) / len(results),
        "client_p95_ms": p95([elapsed for _, elapsed, _ in results]),
        "server_p95_ms": stats["p95_latency_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; seed {args.seed}, "
        f"{args.workers} concurrent clients, {len(standard_mix(args.seed))} requests/version"
    )
    print(
        f"{'version':8}{'template':30}{'urgent':>8}{'x v1':>7}{'errors':>8}"
        f"{'srv p95':>9}{'x v1':>7}{'cli p95':>9}"
    )
    baseline: dict[str, float] = {}
    for version in available_versions():
        figures = bench_version(version, args.seed, args.workers)
        baseline = baseline or figures
        print(
            f"{version:8}{load_template(version).name:30}{figures['urgent_ratio']:8.3f}"
            f"{figures['urgent_ratio'] / baseline['urgent_ratio']:7.2f}"
            f"{figures['error_rate']:8.3f}{figures['server_p95_ms']:8.1f}ms"
            f"{figures['server_p95_ms'] / baseline['server_p95_ms']:7.2f}"
            f"{figures['client_p95_ms']:7.1f}ms"
        )


if __name__ == "__main__":
    main()
