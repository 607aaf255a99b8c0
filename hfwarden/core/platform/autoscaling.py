"""HF autoscaling, as one model shared by the emulator, the backtest and the projections. Pure.

Hugging Face documents its autoscaler (https://huggingface.co/docs/inference-endpoints/autoscaling
and https://huggingface.co/docs/inference-endpoints/guides/autoscaling):
- a replica is added when the average utilisation of all replicas over a one-minute window passes
  80 % (or, with the pending-requests criterion, more than 1.5 pending requests per replica);
- scaling up is evaluated every minute (one replica per evaluation), scaling down every 2 minutes,
  with a stabilisation of 300 s;
- with min replicas 0 the endpoint scales to zero after an idle timeout, 1 hour by default;
- while a replica wakes from zero the proxy answers 503, unless the request carries
  `X-Scale-Up-Timeout` (the proxy then holds it up to that long).

`Autoscaler` holds those numbers (tests/test_platform_model.py pins them to the documentation).
hfwarden's own reading of them, where the page says nothing: one replica absorbs `capacity_rpm`
requests a minute; replicas still starting count as idle in the average; billed replicas are those
starting or ready; a paused or scaled-to-zero endpoint bills nothing.

The emulator applies these rules on its event clock (seconds); `core.platform.simulation` applies
them minute by minute to a trace. This package imports nothing of the rest of hfwarden: the
emulator shares it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# The traffic the autoscaler looks at: the last minute.
TRAFFIC_WINDOW_S = 60.0
# HF: "scaling up takes place every minute and scaling down takes place every 2 minutes ... with a
# stabilization of 300 seconds".
SCALE_UP_EVERY_S = 60.0
SCALE_DOWN_EVERY_S = 120.0
STABILISATION_S = 300.0
SPARE_MINUTES = int(STABILISATION_S // 60)
# HF: "a new replica is added when the average ... utilization of all replicas ... reaches 80%".
TARGET_UTILISATION = 0.8
# HF (pending-requests criterion): more than 1.5 pending requests per replica adds one.
PENDING_PER_REPLICA = 1.5
# HF: "your Inference Endpoint will go idle after a given duration (1 hour by default)".
DEFAULT_SCALE_TO_ZERO_TIMEOUT = 60
# HF: "the proxy will respond with the status code 503 while the new replica is initializing"
# unless the client sends `X-Scale-Up-Timeout`: 0 s means no such header.
DEFAULT_SCALE_UP_TIMEOUT_S = 0.0


@dataclass(frozen=True, slots=True)
class Autoscaler:
    """The autoscaler's parameters: HF's documented ones by default."""

    target_utilisation: float = TARGET_UTILISATION
    pending_per_replica: float = PENDING_PER_REPLICA
    scale_up_every_s: float = SCALE_UP_EVERY_S
    scale_down_every_s: float = SCALE_DOWN_EVERY_S
    stabilisation_s: float = STABILISATION_S
    idle_timeout_minutes: int = DEFAULT_SCALE_TO_ZERO_TIMEOUT
    scale_up_timeout_s: float = DEFAULT_SCALE_UP_TIMEOUT_S

    @property
    def scale_down_every_minutes(self) -> int:
        return max(1, round(self.scale_down_every_s / 60))

    @property
    def stabilisation_minutes(self) -> int:
        return max(1, round(self.stabilisation_s / 60))


def replicas_needed(requests: float, capacity_rpm: float, utilisation: float = 1.0) -> int:
    """Replicas that absorb `requests` in one minute, each loaded to `utilisation` of its capacity."""
    return math.ceil(requests / (capacity_rpm * utilisation) - 1e-9) if requests > 0 else 0


def base_replicas(min_replicas: int) -> int:
    """Replicas a started endpoint runs with before traffic asks for more."""
    return max(min_replicas, 1)


def desired_replicas(
    requests: float, capacity_rpm: float, min_replicas: int, max_replicas: int, utilisation: float = TARGET_UTILISATION
) -> int:
    """What the autoscaler wants for a minute of `requests`: enough replicas to stay at the target
    utilisation, within the endpoint's bounds."""
    return min(max(replicas_needed(requests, capacity_rpm, utilisation), base_replicas(min_replicas)), max_replicas)


def scaled_up(target: int, desired: int) -> int:
    """The target after one scale-up evaluation: HF adds one replica at a time."""
    return target + 1 if desired > target else target


def scaled_down(target: int, desired_lately: int) -> int:
    """The target after a scale-down check: every replica that has been spare for the whole
    stabilisation goes; `desired_lately` is the most the autoscaler wanted during it."""
    return min(target, desired_lately)


@dataclass(frozen=True, slots=True)
class ReplicaModel:
    """The platform's parameters for one backtest. `startups`: the start-up durations (minutes) a
    starting replica draws from, uniformly, with `seed`; default: `cold_start_minutes` every time."""

    capacity_rpm: float
    cold_start_minutes: int
    startups: tuple[int, ...] = ()
    seed: int = 0
    autoscaler: Autoscaler = field(default_factory=Autoscaler)
    slo_s: float = 30.0

    @property
    def startup_minutes(self) -> tuple[int, ...]:
        return self.startups or (self.cold_start_minutes,)

    def lead_minutes(self) -> int:
        """The lead a schedule assumes: the p90 of the start-ups (the daemon's `prewarm: auto` rule)."""
        ordered = sorted(self.startup_minutes)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
