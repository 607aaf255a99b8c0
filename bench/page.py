"""The status page with 1,000 endpoints: server time to build and render `/` (target: under 300 ms), and
the HTTP answer as a browser gets it. Prints figures; asserts nothing.

1,000 declared endpoints in 10 namespaces and 3 time zones (a window and a nightly cron each), 10
budgets, a ledger of 16 segments per endpoint so far today and 2,000 audit entries; one real pass
against the emulator gives the report the page reads, as in the daemon.

    .venv/bin/python bench/page.py
"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from huggingface_hub import constants
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hfwarden import logs
from hfwarden.adapters.hub import Hub, configure_client
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.ledger import Ledger
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.app.views.dayview import StripCache
from hfwarden.app.views.overview import build_overview
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.core.cost import Segment
from hfwarden.core.records import AuditEntry
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, SeedEndpoint
from hfwarden.serving import HttpServer
from hfwarden.web.app import PageSource, build_app
from hfwarden.web.page import render_overview
from hfwarden.web.probes import Liveness

NAMESPACES, PER_NAMESPACE = 10, 100
ZONES = ("Europe/Paris", "America/New_York", "UTC")
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # a Monday afternoon: most of the day has a ledger
RUNS = 20


def schedule_text() -> str:
    lines = ["version: 1", "endpoints:"]
    for n in range(NAMESPACES):
        for i in range(PER_NAMESPACE):
            lines += [
                f"  - namespace: ns-{n:02d}",
                f"    name: ep-{i:04d}",
                f"    timezone: {ZONES[i % len(ZONES)]}",
                f"    priority: {i % 5}",
                "    schedule:",
                '      - {window: "mon-fri 08:00-19:00", prewarm: 5m, during: {action: resume, min_replicas: 1,'
                " max_replicas: 2}, outside: {action: scale_to_zero}}",
                "      - {cron: '30 2 * * *', action: pause}",
            ]
    lines.append("budgets:")
    lines += [f"  - {{name: b-{n:02d}, daily_usd: 400, scope: {{namespace: ns-{n:02d}}}}}" for n in range(NAMESPACES)]
    return "\n".join(lines) + "\n"


def fill_history(store: Store, keys: list[str]) -> None:
    """16 stretches per endpoint since midnight, and 2,000 audit entries: a busy day's state."""
    midnight = NOW.replace(hour=0)
    step = (NOW - timedelta(minutes=30) - midnight) / 16
    segments = [
        Segment(key, midnight + step * k, midnight + step * (k + 1), k % 3, 0.8) for key in keys for k in range(16)
    ]
    store.save_ledger(segments, [])
    entries = [
        AuditEntry(
            midnight + timedelta(seconds=20 * k), keys[k % len(keys)], "resume", "resume from rule 1", "ok", "", False
        )
        for k in range(2000)
    ]
    store.commit(audit=entries, now=NOW)


def main() -> None:
    logs.configure("console", level="error")
    clock = ManualClock(NOW - timedelta(minutes=1))
    seeds = [
        SeedEndpoint(f"ns-{n:02d}", f"ep-{i:04d}", "aws/us-east-1/nvidia-l4/x1", "running" if i % 2 else "paused")
        for n in range(NAMESPACES)
        for i in range(PER_NAMESPACE)
    ]
    with tempfile.TemporaryDirectory() as tmp, Emulator(clock=clock, seeds=seeds) as emulator:
        constants.INFERENCE_ENDPOINTS_ENDPOINT = emulator.api_url
        configure_client(endpoints_api_url=emulator.api_url, hub_url=emulator.base_url, timeout_seconds=30)
        path = Path(tmp) / "schedules.yaml"
        path.write_text(schedule_text())
        config = load_config([path])
        store = Store(f"sqlite:///{Path(tmp) / 'state.db'}")
        fill_history(store, [e.key for e in config.endpoints])
        reconciler = Reconciler(
            config=config, hub=Hub(DEFAULT_TOKEN, hub_url=emulator.base_url), store=store, clock=clock, dry_run=True
        )
        reconciler.run_pass()
        clock.set(NOW)
        report = reconciler.run_pass()
        reconciler.close()
        measure(report, config, store, clock, reconciler.ledger)


def measure(report: object, config: object, store: Store, clock: ManualClock, ledger: Ledger) -> None:
    timings: dict[str, list[float]] = {"gather": [], "render": [], "gzip": []}
    cpu: list[float] = []
    html = ""
    cache = StripCache()  # as the daemon's app keeps one: the first render fills it
    for _ in range(RUNS):
        started, cpu_started = time.perf_counter(), time.thread_time()
        overview = build_overview(report, config, store, now=clock.now(), ledger=ledger, cache=cache)  # type: ignore[arg-type]
        gathered = time.perf_counter()
        html = render_overview(overview)
        rendered = time.perf_counter()
        gzip.compress(html.encode(), compresslevel=5)
        timings["gather"].append(gathered - started)
        timings["render"].append(rendered - gathered)
        timings["gzip"].append(time.perf_counter() - rendered)
        cpu.append(time.thread_time() - cpu_started)
    total = [sum(parts) for parts in zip(*timings.values(), strict=True)]
    print(f"status page, {len(overview.endpoints)} endpoints, {len(overview.budgets)} budgets, {RUNS} renders:")
    for name, values in timings.items():
        print(f"  {name:<7} median {statistics.median(values) * 1000:6.1f} ms")
    print(
        f"  server time: median {statistics.median(total) * 1000:.1f} ms, max {max(total) * 1000:.1f} ms "
        "(target: under 300 ms)"
    )
    print(f"  page: {len(html) / 1e6:.2f} MB of HTML, {len(gzip.compress(html.encode(), 5)) / 1e3:.0f} kB gzipped")
    print(
        f"  CPU time of the rendering thread: median {statistics.median(cpu) * 1000:.1f} ms (what the machine's "
        "other load does not inflate)"
    )
    print(f"  first render (empty strip cache): {total[0] * 1000:.1f} ms, CPU {cpu[0] * 1000:.1f} ms")
    over_http(report, config, store, clock, ledger)


def over_http(report: object, config: object, store: Store, clock: ManualClock, ledger: Ledger) -> None:
    """The same page through the daemon's server (uvicorn, the threadpool, gzip), as a browser gets it."""
    liveness = Liveness(tick_seconds=30, stale_after_seconds=120, started_at=0.0)
    source = PageSource(lambda: report, lambda: config, store, clock, lambda: ledger)  # type: ignore[arg-type, return-value]
    server = HttpServer(build_app(liveness, CollectorRegistry(), store.ping, source), host="127.0.0.1", port=0)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            seconds = []
            for _ in range(RUNS):
                started = time.perf_counter()
                client.get("/").raise_for_status()
                seconds.append(time.perf_counter() - started)
        print(
            f"  over HTTP (gzip): median {statistics.median(seconds) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
