"""The schedule file's keys that put people in the loop (docs/people-in-the-loop.md): `notice:` (file-wide,
per endpoint or `match:` entry, and on a ladder step) and a ladder step's `approve:`, and their compiled values."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict

from hfwarden.core.ladder import Basis, LadderStep, StepAction
from hfwarden.core.windows import parse_duration_minutes


def check_notice(value: str) -> str:
    """`15m`, `1h`: how long before a stop its notice is sent (or an approval is waited for)."""
    minutes = parse_duration_minutes(value)
    if not 1 <= minutes <= 24 * 60:
        raise ValueError(f"notice {value!r} must be between 1m and 24h")
    return value


# `notice: 15m`, per endpoint, per `match:` entry, file-wide or on a ladder step.
NoticeBefore = Annotated[str, AfterValidator(check_notice)]


class ApproveSpec(BaseModel):
    """`approve: {within: 15m, otherwise: act}`: ask people before a ladder step acts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    within: NoticeBefore
    otherwise: Literal["act", "skip"]


def check_gate(action: str, *, notice: str | None, approve: ApproveSpec | None) -> None:
    """A ladder step gives notice or asks approval, not both, and only when it acts on something."""
    if notice is not None and approve is not None:
        raise ValueError("a step gives notice or asks approval, not both")
    if action == "notify" and (notice is not None or approve is not None):
        raise ValueError("a notify step acts on nothing: no notice or approve")


def notice_period(text: str | None) -> timedelta | None:
    return None if text is None else timedelta(minutes=parse_duration_minutes(text))


class StepSpec(Protocol):
    """What `ladder_step` reads of a `LadderStepSpec` (models.py imports this module, not the reverse)."""

    @property
    def at(self) -> float: ...
    @property
    def action(self) -> str: ...
    @property
    def max_replicas(self) -> int | None: ...
    @property
    def on(self) -> str: ...
    @property
    def notice(self) -> str | None: ...
    @property
    def approve(self) -> ApproveSpec | None: ...


def ladder_step(spec: StepSpec) -> LadderStep:
    """A ladder step as the core takes it, with its notice or approval."""
    approve = spec.approve
    return LadderStep(
        spec.at,
        StepAction(spec.action),
        spec.max_replicas,
        Basis(spec.on),
        notice=notice_period(spec.notice),
        approve_within=notice_period(approve.within if approve else None),
        otherwise=approve.otherwise if approve else "act",
    )
