"""The probes and the scrape: /healthz, /readyz, /metrics. Always open (no credentials), read-only."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Liveness:
    """What /healthz and /readyz judge by; the daemon keeps it current."""

    tick_seconds: float
    stale_after_seconds: float
    started_at: float  # monotonic
    last_pass_completed_at: float | None = None  # monotonic
    config_loaded: bool = False

    def health(self, now: float | None = None) -> tuple[bool, str, float | None]:
        """Healthy while passes keep completing; a stuck loop (or one that never completes) turns it red."""
        now = time.monotonic() if now is None else now
        if self.last_pass_completed_at is None:
            waited = now - self.started_at
            if waited <= self.stale_after_seconds:
                return True, "starting: first pass in progress", None
            return False, f"no pass has completed in {waited:.0f} s since start", None
        age = now - self.last_pass_completed_at
        if age <= self.stale_after_seconds:
            return True, "passes completing", age
        return (
            False,
            f"last pass completed {age:.0f} s ago (limit {self.stale_after_seconds:.0f} s): the loop is stuck",
            age,
        )


def probe_routes(
    liveness: Liveness, registry: CollectorRegistry, store_health: Callable[[], tuple[bool, str]]
) -> list[Route]:
    """`store_health` says whether the store can keep what is written (answers, commits, same file)."""

    async def healthz(_request: Request) -> Response:
        healthy, reason, age = liveness.health()
        body = {"status": "ok" if healthy else "unhealthy", "reason": reason, "last_pass_age_seconds": age}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def readyz(_request: Request) -> Response:
        store_ok, store_reason = store_health()
        checks = {
            "config_loaded": liveness.config_loaded,
            "store_reachable": store_ok,
            "first_pass_done": liveness.last_pass_completed_at is not None,
        }
        ready = all(checks.values())
        body: dict[str, object] = {"status": "ready" if ready else "not ready", **checks}
        if not store_ok:
            body["store_reason"] = store_reason  # the full disk, the deleted file: what to fix
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
