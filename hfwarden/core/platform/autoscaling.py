"""HF autoscaling and billing, as one model shared by the emulator and the backtest. Pure.

The rules (the reference's, and the README's "Backtest and recommend" model):
- one replica absorbs `capacity_rpm` requests a minute; the autoscaler wants
  `ceil(requests in the last minute / capacity)` replicas, at least `max(min_replicas, 1)` while
  running and at most `max_replicas`;
- when it wants more than it has, it starts the difference at once: billed from that moment,
  ready (serving) after the cold start;
- a replica goes once capacity has been spare for it for `SPARE_MINUTES` minutes in a row;
- with `min_replicas` 0 it scales to zero after `scale_to_zero_timeout` minutes without a request,
  and the next request wakes it (one replica, cold);
- billed replicas are those starting or ready; a paused or scaled-to-zero endpoint bills nothing.

The emulator applies these rules on its event clock (seconds); `core.platform.replay` applies them
minute by minute to a trace. This module imports nothing of the rest of hfwarden: the emulator
shares it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The traffic the autoscaler looks at: the last minute.
TRAFFIC_WINDOW_S = 60.0
# Spare capacity this long before a replica goes (the reference's 300 s stabilisation).
SPARE_MINUTES = 5
STABILISATION_S = SPARE_MINUTES * 60.0
# How often the emulator, on its event clock, looks for spare replicas once stabilised.
SCALE_DOWN_EVERY_S = 120.0
# The idle timeout assumed when nothing sets one (the `scale_to_zero` policy's).
DEFAULT_SCALE_TO_ZERO_TIMEOUT = 15


def replicas_needed(requests: float, capacity_rpm: float) -> int:
    """Replicas that absorb `requests` in one minute."""
    return math.ceil(requests / capacity_rpm) if requests > 0 else 0


def base_replicas(min_replicas: int) -> int:
    """Replicas a started endpoint runs with before traffic asks for more."""
    return max(min_replicas, 1)


def desired_replicas(requests: float, capacity_rpm: float, min_replicas: int, max_replicas: int) -> int:
    """What the autoscaler wants for a minute of `requests`, within the endpoint's bounds."""
    return min(max(replicas_needed(requests, capacity_rpm), base_replicas(min_replicas)), max_replicas)


def scaled_down(target: int, desired_lately: int) -> int:
    """The target after a scale-down check: every replica that has been spare for the whole
    stabilisation goes; `desired_lately` is the most the autoscaler wanted during it."""
    return min(target, desired_lately)


@dataclass(frozen=True, slots=True)
class ReplicaModel:
    """The platform's parameters for one backtest."""

    capacity_rpm: float
    cold_start_minutes: int
