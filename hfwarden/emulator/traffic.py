"""Data-plane traffic in the emulator: per-endpoint request counters on `/metrics`
(`hf_endpoint_requests_total{namespace,name}`, for a Prometheus to scrape), and a trace replayed as
requests (`hfwarden emulator --traffic TRACE.csv --speed N`), so that emulator → Prometheus →
hfwarden → proposal can run end to end."""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from hfwarden.emulator.world import World

DATA_PLANE = re.compile(r"^/dp/(?P<ns>[^/]+)/(?P<name>[^/]+)(?:/.*)?$")
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class RequestCounters:
    """Requests per endpoint since the emulator started; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, namespace: str, name: str, requests: int = 1) -> None:
        with self._lock:
            self._counts[(namespace, name)] = self._counts.get((namespace, name), 0) + requests

    def exposition(self) -> str:
        """The Prometheus text format of the counters."""
        with self._lock:
            counts = sorted(self._counts.items())
        lines = [
            "# HELP hf_endpoint_requests_total Data-plane requests each endpoint received.",
            "# TYPE hf_endpoint_requests_total counter",
        ]
        lines += [f'hf_endpoint_requests_total{{namespace="{ns}",name="{name}"}} {n}' for (ns, name), n in counts]
        return "\n".join(lines) + "\n"


class DataPlaneMetrics:
    """ASGI middleware: counts each data-plane request, and answers `GET /metrics`."""

    def __init__(self, app: ASGIApp, counters: RequestCounters) -> None:
        self.app = app
        self.counters = counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path == "/metrics" and scope.get("method") == "GET":
                body = self.counters.exposition().encode()
                headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            match = DATA_PLANE.match(path)
            if match is not None:
                self.counters.count(match.group("ns"), match.group("name"))
        await self.app(scope, receive, send)


def read_minutes(path: Path) -> list[int]:
    """Requests per minute of a `minute_start,requests` CSV (an empty cell is no request)."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or [c.strip() for c in rows[0]] != ["minute_start", "requests"]:
        raise ValueError(f"{path}: expected the header minute_start,requests")
    counts = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise ValueError(f"{path}: line {number}: expected 2 columns")
        datetime.fromisoformat(row[0].strip())  # ValueError names the bad timestamp
        counts.append(int(row[1]) if row[1].strip() else 0)
    return counts


class TrafficReplay:
    """Replays a trace on one endpoint: each trace minute lasts `60 / speed` seconds and sends its
    requests through `send` (the data plane: counted, and waking a scaled-to-zero endpoint)."""

    def __init__(self, minutes: list[int], speed: float, send: Callable[[int], None]) -> None:
        if speed <= 0:
            raise ValueError("--speed must be above 0")
        self.minutes = minutes
        self.speed = speed
        self.send = send
        self.stopping = threading.Event()
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="emulator-traffic", daemon=True)

    def start(self) -> TrafficReplay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(5)

    def _run(self) -> None:
        for requests in self.minutes:
            if self.stopping.wait(60.0 / self.speed):
                return
            self.send(requests)
            self.sent += requests


def replay_on(world: World, counters: RequestCounters, endpoint: str, path: Path, speed: float) -> TrafficReplay:
    """A replay of the trace at `path` as data-plane requests to `endpoint` (`ns/name`) of `world`."""
    namespace, _, name = endpoint.partition("/")
    if not namespace or not name:
        raise ValueError(f"--traffic-endpoint {endpoint!r} is not NAMESPACE/NAME")
    minutes = read_minutes(path)

    def send(requests: int) -> None:
        counters.count(namespace, name, requests)
        with world.lock:
            for _ in range(requests):
                world.data_plane_request(namespace, name)

    return TrafficReplay(minutes, speed, send)
