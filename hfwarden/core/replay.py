"""A schedule's actions as the platform sees them: turned into API steps by `core.decide` (the same
code the daemon runs), then into the endpoint's configuration for `core.platform.simulation`. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache, partial

from hfwarden.core.decide import StepKind, steps_towards
from hfwarden.core.endpoints import EndpointState, Observation
from hfwarden.core.platform.autoscaling import ReplicaModel
from hfwarden.core.platform.simulation import EndpointConfig, Mode, SimulatedRun, Transition, simulate
from hfwarden.core.rules import Action

_OBSERVED = {
    Mode.RUNNING: EndpointState.RUNNING,
    Mode.ZERO: EndpointState.SCALED_TO_ZERO,
    Mode.PAUSED: EndpointState.PAUSED,
}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def after_action(config: EndpointConfig, *, action: Action) -> EndpointConfig:
    """The endpoint's settings once hfwarden has carried out `action`: the daemon's own steps."""
    return _after_action(config, action)


@lru_cache(maxsize=4096)  # a learning cycle replays the same few actions on the same few settings
def _after_action(config: EndpointConfig, action: Action) -> EndpointConfig:
    # Only the state and the sizes matter to `steps_towards`; the rest is filler.
    observed = Observation(
        namespace="",
        name="",
        state=_OBSERVED[config.mode],
        ready_replicas=0,
        target_replicas=0,
        min_replica=config.min_replicas,
        max_replica=config.max_replicas,
        scale_to_zero_timeout=config.scale_to_zero_timeout,
        instance="",
        updated_at=_EPOCH,
    )
    result = config
    for step in steps_towards(action, observed):
        match step.kind:
            case StepKind.UPDATE:
                result = replace(
                    result,
                    min_replicas=result.min_replicas if step.min_replicas is None else step.min_replicas,
                    max_replicas=result.max_replicas if step.max_replicas is None else step.max_replicas,
                    scale_to_zero_timeout=step.scale_to_zero_timeout or result.scale_to_zero_timeout,
                )
            case StepKind.RESUME:
                result = replace(result, mode=Mode.RUNNING)
            case StepKind.PAUSE:
                result = replace(result, mode=Mode.PAUSED)
            case StepKind.SCALE_TO_ZERO:
                result = replace(result, mode=Mode.ZERO)
    return result


def transitions_of(changes: Mapping[int, Sequence[Action]]) -> dict[int, list[Transition]]:
    """A schedule's actions per minute as the configuration changes the platform applies."""
    return {minute: [partial(after_action, action=action) for action in actions] for minute, actions in changes.items()}


def replay(
    demand: Sequence[int],
    model: ReplicaModel,
    initial: EndpointConfig,
    changes: Mapping[int, Sequence[Action]],
    *,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SimulatedRun:
    """Replay `demand` through the platform, the schedule's actions carried out as the daemon would."""
    return simulate(demand, model, initial, transitions_of(changes), keep_series=keep_series, progress=progress)
