"""The emulated endpoints: state machine, autoscaling and the ground-truth bill.

Everything here is evaluated lazily against the emulator's clock: before an endpoint is read or
changed it is advanced to "now", replaying every timer, idle timeout and autoscaling check that
fell due in between, in time order, and integrating billed replicas over each interval. So a
manual clock moved by a day gives exactly the states and the bill that a day in real time would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hfwarden.catalogue import Compute, compute_id
from hfwarden.clock import Clock, to_z
from hfwarden.emulator import spec as wire
from hfwarden.emulator.accounts import BillingAccount, minute_floor, refuse_for_money
from hfwarden.emulator.answers import NANOSECOND_MODES, endpoint_json
from hfwarden.emulator.hardware import Holding, Quota, check_quota, render
from hfwarden.emulator.scaling import Bounds, Scaler
from hfwarden.emulator.spec import ApiError, check_request, compute_for, merge, validate_spec, validated_create_body

STATES = ("pending", "initializing", "updating", "updateFailed", "running", "paused", "failed", "scaledToZero")
BILLED_STATES = frozenset({"initializing", "running", "updating"})
# Autoscaling (one replica per one-minute evaluation, the 300 s stabilisation, the 2-minute
# scale-down checks) is the shared platform model's (emulator/scaling.py), so the backtest replays
# what this serves.


@dataclass
class Timings:
    """How long the emulated platform takes; configurable so tests can be quick or realistic."""

    pending_seconds: float = 2.0
    init_seconds: float = 20.0
    update_seconds: float = 10.0
    replica_capacity_rpm: float = 60.0


@dataclass
class Endpoint:
    """One emulated endpoint. `spec` is everything the client sees outside `status`."""

    namespace: str
    spec: dict[str, Any]
    compute: Compute
    state: str
    ready: int
    target: int
    created_at: float
    updated_at: float
    account: BillingAccount
    accrued_to: float
    last_traffic_at: float
    timer_at: float | None = None
    timer_to: str | None = None
    scaler: Scaler = field(default_factory=Scaler)

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def scaling(self) -> dict[str, Any]:
        scaling: dict[str, Any] = self.spec["compute"]["scaling"]
        return scaling

    @property
    def min_replica(self) -> int:
        return int(self.scaling["minReplica"])

    @property
    def max_replica(self) -> int:
        return int(self.scaling["maxReplica"])

    @property
    def billed_replicas(self) -> int:
        return max(self.ready, self.target) if self.state in BILLED_STATES else 0

    @property
    def base_replicas(self) -> int:
        """Replicas a started endpoint runs with before traffic asks for more."""
        return max(self.min_replica, 1)


class World:
    """All namespaces, endpoints and bills of one emulator instance. Thread-safe."""

    def __init__(
        self, clock: Clock, timings: Timings | None = None, *, quota: Quota | None = None, nanoseconds: str = "moving"
    ) -> None:
        if nanoseconds not in NANOSECOND_MODES:
            raise ValueError(f"nanoseconds must be one of {NANOSECOND_MODES}, got {nanoseconds!r}")
        self.clock = clock
        self.timings = timings or Timings()
        self.quota = quota or Quota()
        self.nanoseconds = nanoseconds
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        self.accounts: dict[tuple[str, str], BillingAccount] = {}
        self.lock = threading.RLock()
        self.money_refusals: dict[str, str] = {}  # namespace → "credits" | "spend_limit" (/_emulator/billing-block)

    # -- time -----------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now().timestamp()

    def advance_all(self) -> float:
        now = self.now()
        for endpoint in self.endpoints.values():
            self._advance(endpoint, now)
        return now

    def _advance(self, ep: Endpoint, now: float) -> None:
        while True:
            due = self._next_event(ep)
            if due is None or due[0] > now:
                break
            at, apply = due
            self._accrue(ep, at)
            apply(at)
        self._accrue(ep, now)

    def _accrue(self, ep: Endpoint, until: float) -> None:
        if until <= ep.accrued_to:
            return
        ep.account.accrue(ep.accrued_to, until, ep.billed_replicas, ep.compute.price_per_hour)
        ep.accrued_to = until

    def _next_event(self, ep: Endpoint) -> tuple[float, Callable[[float], None]] | None:
        candidates: list[tuple[float, Callable[[float], None]]] = []
        if ep.timer_at is not None:
            candidates.append((ep.timer_at, lambda at: self._fire_timer(ep, at)))
        if ep.state == "running":
            timeout = ep.scaling.get("scaleToZeroTimeout")
            timeout_min = wire.DEFAULT_IDLE_MINUTES if timeout is None else int(timeout)
            if ep.min_replica == 0 and timeout_min > 0:
                idle_at = ep.last_traffic_at + timeout_min * 60.0
                candidates.append((idle_at, lambda at: self._go_idle(ep, at)))
            scaler = ep.scaler
            if (ready_at := scaler.next_ready()) is not None:
                candidates.append((ready_at, lambda at: self._replicas_ready(ep, at)))
            if scaler.next_up_at is not None:
                candidates.append((scaler.next_up_at, lambda at: self._scale_up(ep, at)))
            if scaler.next_down_at is not None and ep.target > ep.base_replicas:
                candidates.append((scaler.next_down_at, lambda at: self._scale_down_check(ep, at)))
        if not candidates:
            return None
        return min(candidates, key=lambda c: c[0])

    def _set_state(self, ep: Endpoint, state: str, at: float) -> None:
        ep.state = state
        ep.updated_at = at

    def _fire_timer(self, ep: Endpoint, at: float) -> None:
        to = ep.timer_to
        ep.timer_at = ep.timer_to = None
        if to == "initializing":
            self._start_initializing(ep, at)
        elif to == "running":
            ep.ready = ep.target
            ep.last_traffic_at = at
            ep.scaler.starting.clear()
            ep.scaler.next_up_at = ep.scaler.next_down_at = None
            self._set_state(ep, "running", at)

    def _start_initializing(self, ep: Endpoint, at: float) -> None:
        ep.ready = 0
        ep.target = ep.base_replicas
        self._set_state(ep, "initializing", at)
        ep.timer_at, ep.timer_to = at + self.timings.init_seconds, "running"

    def _go_idle(self, ep: Endpoint, at: float) -> None:
        ep.ready = ep.target = 0
        ep.scaler.reset()
        self._set_state(ep, "scaledToZero", at)

    def _bounds(self, ep: Endpoint) -> Bounds:
        return Bounds(ep.min_replica, ep.max_replica, self.timings.replica_capacity_rpm)

    def _replicas_ready(self, ep: Endpoint, at: float) -> None:
        ep.scaler.replica_ready()
        ep.ready = min(ep.ready + 1, ep.target)
        ep.updated_at = at

    def _scale_up(self, ep: Endpoint, at: float) -> None:
        target = ep.scaler.scale_up(at, ep.target, self._bounds(ep), self.timings.init_seconds)
        if target > ep.target:
            ep.target = target
            ep.updated_at = at

    def _scale_down_check(self, ep: Endpoint, at: float) -> None:
        # Checked from the stabilisation after the last scale-up on, so every replica it lets go
        # has been spare that long.
        target = ep.scaler.scale_down(at, ep.target, self._bounds(ep))
        if target < ep.target:
            ep.target = target
            ep.ready = min(ep.ready, target)
            ep.updated_at = at

    # -- reads ----------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> Endpoint:
        ep = self.endpoints.get((namespace, name))
        if ep is None:
            raise ApiError(404, f"Endpoint {name} not found in namespace {namespace}")
        self._advance(ep, self.now())
        return ep

    def list_namespace(self, namespace: str) -> list[Endpoint]:
        now = self.now()
        found = [ep for (ns, _), ep in self.endpoints.items() if ns == namespace]
        for ep in found:
            self._advance(ep, now)
        return found

    def billing(self, namespace: str | None = None) -> dict[str, Any]:
        """Per-minute bill (`usd`) and the exact integral beside it, per endpoint and in total."""
        now = self.advance_all()
        rows = [acc.row(now) for acc in self.accounts.values() if namespace is None or acc.namespace == namespace]
        return {
            "as_of": to_z(datetime.fromtimestamp(now, UTC)),  # the emulated instant these totals run to
            "total_usd": sum(float(r["usd"]) for r in rows),
            "total_exact_usd": sum(float(r["exact_usd"]) for r in rows),
            "endpoints": rows,
        }

    # -- writes ---------------------------------------------------------------------------

    def create(self, namespace: str, body: Any, *, state: str = "pending") -> Endpoint:
        spec = validated_create_body(body)
        key = (namespace, spec["name"])
        if key in self.endpoints:
            raise ApiError(409, f"Endpoint {spec['name']} already exists in namespace {namespace}")
        compute = compute_for(spec)
        if state != "paused":
            refuse_for_money(self.money_refusals.get(namespace))
            check_quota(self.quota, self._holdings(namespace), _holding(spec, compute))
        now = self.now()
        account = self.accounts.setdefault(key, BillingAccount(namespace, spec["name"], settled_to=minute_floor(now)))
        ep = Endpoint(
            namespace=namespace,
            spec=spec,
            compute=compute,
            state="pending",
            ready=0,
            target=0,
            created_at=now,
            updated_at=now,
            account=account,
            accrued_to=now,
            last_traffic_at=now,
        )
        self.endpoints[key] = ep
        self._place_in_state(ep, state, now)
        return ep

    def _place_in_state(self, ep: Endpoint, state: str, now: float) -> None:
        """Put a new endpoint straight into `state` (seed files and tests)."""
        if state not in STATES:
            raise ApiError(400, f"VALIDATION_FAILED: unknown state {state!r}")
        ep.state = state
        if state == "pending":
            ep.timer_at, ep.timer_to = now + self.timings.pending_seconds, "initializing"
        elif state == "initializing":
            self._start_initializing(ep, now)
        elif state == "running":
            ep.ready = ep.target = ep.base_replicas
        elif state == "updating":
            ep.target = ep.base_replicas
            ep.timer_at, ep.timer_to = now + self.timings.update_seconds, "running"
        elif state in ("failed", "updateFailed"):
            ep.target = ep.base_replicas

    def delete(self, namespace: str, name: str) -> None:
        ep = self.get(namespace, name)
        del self.endpoints[(namespace, ep.name)]

    def update(self, namespace: str, name: str, body: Any) -> Endpoint:
        ep = self.get(namespace, name)
        check_request(body)
        if "name" in body and body["name"] != ep.name:
            raise ApiError(400, "VALIDATION_FAILED: name cannot be changed")
        merged = merge(ep.spec, body)
        validate_spec(merged)
        compute = compute_for(merged)
        held, wanted = _holding(ep.spec, ep.compute), _holding(merged, compute)
        if ep.state != "paused" and (wanted.row_id != held.row_id or wanted.accelerators > held.accelerators):
            check_quota(self.quota, self._holdings(namespace, but=ep), wanted)
        changed_runtime = merged["compute"] != ep.spec["compute"] or merged["model"] != ep.spec["model"]
        ep.spec, ep.compute = merged, compute
        now = self.now()
        if not changed_runtime:
            return ep
        if ep.state in ("running", "updating", "updateFailed"):
            ep.target = min(max(ep.target, ep.base_replicas), ep.max_replica)
            ep.ready = 0
            ep.scaler.reset()
            self._set_state(ep, "updating", now)
            ep.timer_at, ep.timer_to = now + self.timings.update_seconds, "running"
        elif ep.state == "initializing":
            ep.target = ep.base_replicas
            ep.updated_at = now
        else:
            ep.updated_at = now
        return ep

    def pause(self, namespace: str, name: str) -> Endpoint:
        ep = self.get(namespace, name)
        if ep.state != "paused":
            self._stop(ep, "paused")
            ep.spec = wire.with_sizes(ep.spec, 0, 0)  # HF's docs: pausing sets min & max replicas to 0
        return ep

    def scale_to_zero(self, namespace: str, name: str) -> Endpoint:
        ep = self.get(namespace, name)
        if ep.state == "scaledToZero":
            return ep
        if ep.state in ("failed",):
            raise ApiError(400, "VALIDATION_FAILED: a failed endpoint cannot be scaled to zero")
        self._reacquire_quota(ep)
        self._stop(ep, "scaledToZero")
        return ep

    def _stop(self, ep: Endpoint, state: str) -> None:
        now = self.now()
        ep.ready = ep.target = 0
        ep.timer_at = ep.timer_to = None
        ep.scaler.reset()
        self._set_state(ep, state, now)

    def resume(self, namespace: str, name: str) -> Endpoint:
        ep = self.get(namespace, name)
        if ep.state == "running":
            raise ApiError(400, f"Endpoint {ep.name} is already running")
        if ep.state in ("pending", "initializing", "updating"):
            return ep  # already on its way up
        refuse_for_money(self.money_refusals.get(namespace))
        resumed = wire.with_sizes(ep.spec, 1, 1) if ep.state == "paused" else ep.spec  # HF's docs: min & max 1
        self._reacquire_quota(ep, resumed)
        now = self.now()
        ep.spec, ep.ready, ep.target = resumed, 0, 0
        self._set_state(ep, "pending", now)
        ep.timer_at, ep.timer_to = now + self.timings.pending_seconds, "initializing"
        return ep

    def data_plane_request(self, namespace: str, name: str) -> Endpoint:
        """Traffic to the endpoint's URL: feeds the idle timer and autoscaling, wakes scale-to-zero."""
        ep = self.get(namespace, name)
        now = self.now()
        if ep.state == "scaledToZero":
            ep.last_traffic_at = now
            self._start_initializing(ep, now)
            return ep
        if ep.state not in ("running", "updating", "initializing"):
            return ep
        ep.last_traffic_at = now
        if ep.state == "running":
            ep.scaler.heard(now)  # the next whole minute evaluates scaling up: one replica at most
        return ep

    # -- rendering ------------------------------------------------------------------------

    def to_json(self, ep: Endpoint, base_url: str) -> dict[str, Any]:
        """The endpoint as the API answers it."""
        return endpoint_json(ep, base_url, self.nanoseconds)

    def _reacquire_quota(self, ep: Endpoint, spec: dict[str, Any] | None = None) -> None:
        """A paused endpoint holds no quota: leaving `paused` takes its share again, if there is room."""
        if ep.state == "paused":
            check_quota(self.quota, self._holdings(ep.namespace), _holding(spec or ep.spec, ep.compute))

    def _holdings(self, namespace: str, *, but: Endpoint | None = None) -> list[Holding]:
        """The quota the namespace's endpoints hold (see emulator/hardware.py): all but paused ones."""
        return [
            _holding(ep.spec, ep.compute)
            for (ns, _), ep in self.endpoints.items()
            if ns == namespace and ep.state != "paused" and ep is not but
        ]

    def hardware(self, namespace: str) -> dict[str, Any]:
        """`GET /v2/provider/{ns}`: vendors → regions → computes, with the namespace's quota use."""
        return render(self.quota, self._holdings(namespace))


def _holding(spec: dict[str, Any], compute: Compute) -> Holding:
    row_id = compute_id(spec["provider"]["vendor"], spec["provider"]["region"], compute)
    return Holding(row_id, compute.num_accelerators * int(spec["compute"]["scaling"]["maxReplica"]))
