"""The only code that talks to Inference Endpoints: `huggingface_hub` plus what it lacks.

Added here: an explicit token and namespace on every call (the library's returned objects forget
the token), timeouts (the library sets none), bounded retries with exponential back-off and jitter
on 429/5xx/connection errors honouring `Retry-After`, "already in that state" as success, and
immutable `Observation` records instead of the library's mutable objects.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpcore2
import httpx2
from huggingface_hub import HfApi, constants, get_session, hf_raise_for_status, set_client_factory
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import (  # type: ignore[attr-defined]  # public, lazily exported
    build_hf_headers,
    parse_ratelimit_headers,
)
from huggingface_hub.utils._http import hf_request_event_hook

import hfwarden.adapters.hub_env  # noqa: F401  (no Hub calls but ours: huggingface_hub's telemetry off)
from hfwarden.adapters.backoff import RetryPolicy, retry_after_seconds
from hfwarden.adapters.deadline import HubDeadlines, deadlines_everywhere
from hfwarden.adapters.hub_answers import answered, checked, observation_from, observed_fields
from hfwarden.adapters.hub_errors import Cancelled, Deferred, EndpointNotFound, HubError, MalformedAnswer
from hfwarden.adapters.ratelimit import CallQuota, QuotaReading, keep_reading, take_last_reading
from hfwarden.adapters.wire import with_direct_transport
from hfwarden.clock import Clock, SystemClock, to_z
from hfwarden.core.decide import Step, StepKind
from hfwarden.core.endpoints import Observation
from hfwarden.logs import get_logger

__all__ = [
    "Cancelled",
    "Deferred",
    "EndpointNotFound",
    "Hub",
    "HubError",
    "MalformedAnswer",
    "RetryPolicy",
    "observation_from",
]

T = TypeVar("T")
# Without a budget day to bound it, no wait (Retry-After, quota) reaches further than this.
DEFAULT_WAIT_HORIZON = timedelta(hours=24)
log = get_logger("hfwarden.hub")


CallObserver = Callable[[str, str], None]  # (operation, outcome) where outcome is a status code or "error"


def _version_hint() -> str:
    """A 404 from an API URL without its version (`.../v2`) names every endpoint missing: say why."""
    url = constants.INFERENCE_ENDPOINTS_ENDPOINT.rstrip("/")
    if url.rsplit("/", 1)[-1].startswith("v") and url.rsplit("/", 1)[-1][1:].isdigit():
        return ""
    return f" (HFWARDEN_ENDPOINTS_API_URL={url} probably lacks /v2: try {url}/v2)"


def configure_client(*, endpoints_api_url: str, hub_url: str, timeout_seconds: float) -> None:
    """Point `huggingface_hub` at the API (real, proxy or emulator) with timeouts on every call."""
    constants.INFERENCE_ENDPOINTS_ENDPOINT = endpoints_api_url
    constants.ENDPOINT = hub_url
    timeout = httpx2.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0))
    limits = httpx2.Limits(max_connections=64, max_keepalive_connections=32)

    def factory() -> httpx2.Client:
        # Same hooks and redirects as the library's default factory, plus timeouts and a pool size.
        client = httpx2.Client(
            event_hooks={"request": [hf_request_event_hook], "response": [record_answer]},
            follow_redirects=True,
            timeout=timeout,
            limits=limits,
        )
        # Each request's socket operations share the deadline `Hub._attempt` sets for it as a whole,
        # direct or through the environment's proxy; direct ones go through plain sockets (wire.py).
        return with_direct_transport(deadlines_everywhere(client, httpcore2))

    set_client_factory(factory)


def quota_reading(headers: Mapping[str, str]) -> QuotaReading | None:
    """An answer's `RateLimit` / `RateLimit-Policy` fields (huggingface_hub's public parser), or None."""
    info = parse_ratelimit_headers(headers)
    if info is None:
        return None
    window = float(info.window_seconds) if info.window_seconds else None
    return QuotaReading(info.remaining, float(info.reset_in_seconds), info.limit, window)


def record_answer(response: httpx2.Response) -> None:
    """httpx2 response hook: every answer's quota reading, for the call waiting on it in this thread."""
    keep_reading(quota_reading(response.headers))


# The action routes `HfApi.pause_inference_endpoint` & co POST to.
ACTION_PATHS = {StepKind.PAUSE: "pause", StepKind.RESUME: "resume", StepKind.SCALE_TO_ZERO: "scale-to-zero"}


def _already(kind: StepKind, message: str) -> bool:
    """A 400 that means the endpoint is already where the action would take it: what the library's
    `running_ok` accepts for a resume; any "already" for a pause or a scale to zero."""
    if kind is StepKind.RESUME:
        return "already running" in message
    return "already" in message.lower()


class Hub(HubDeadlines):
    """Inference Endpoints for one token."""

    def __init__(
        self,
        token: str,
        *,
        retry: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        observer: CallObserver | None = None,
        retry_observer: Callable[[str], None] | None = None,
        hub_url: str | None = None,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        request_deadline_seconds: float = 30.0,
    ) -> None:
        self._token = token
        self._request_deadline_s = request_deadline_seconds
        self._pass_deadline: float | None = None  # time.monotonic(); see begin_pass
        self._api = HfApi(endpoint=hub_url, token=token)
        self._retry = retry or RetryPolicy()
        self._cancel = cancel or threading.Event()
        self._observer = observer
        self._retry_observer = retry_observer
        self._rng = rng or random.Random()
        self._clock = clock or SystemClock()
        # Per (API host, operation): no call before this instant, as the last Retry-After asked.
        # Kept across calls, so a Retry-After longer than the pass interval spans passes.
        self._not_before: dict[tuple[str, str], datetime] = {}
        self._not_before_lock = threading.Lock()  # namespaces are listed in parallel
        self._wait_horizon: Callable[[datetime], datetime] = lambda now: now + DEFAULT_WAIT_HORIZON
        self._quotas: dict[str, CallQuota] = {}  # per API host, on this hub's clock
        self._built_headers: dict[str, str] | None = None

    def __repr__(self) -> str:
        return "Hub(token=***)"

    def _call(self, operation: str, target: str, fn: Callable[[], T]) -> T:
        host = urlsplit(constants.INFERENCE_ENDPOINTS_ENDPOINT).netloc
        key, quota = (host, operation), self._quota(host)
        self._respect_rate_limit(key, target)
        attempt = 0
        while True:
            attempt += 1
            self._wait_for_quota(quota, operation, target)
            paced = quota.remaining is not None  # sent within a known quota: a 429 then means "wait for the reset"
            try:
                result = self._attempt(operation, target, fn)
            except HfHubHTTPError as exc:
                quota.answered(take_last_reading(), refused=exc.response.status_code == 429)
                wait = self._wait_after_http_error(exc, attempt, key, target, paced=paced)
            except httpx2.TransportError as exc:
                quota.answered(None)
                self._observe(operation, "error")
                message = f"{operation} {target}: {type(exc).__name__}: {exc}"
                if attempt >= self._retry.max_attempts:
                    raise HubError(message) from None
                wait = self._retry.delay(attempt, None, self._rng)
            else:
                quota.answered(take_last_reading())
                self._observe(operation, "200")
                return result
            log.warning("hub_retry", operation=operation, target=target, attempt=attempt, wait_s=round(wait, 3))
            if self._retry_observer is not None:
                self._retry_observer(operation)
            # Retries within the call have waited their Retry-After: they are not refused by it.
            if self._cancel.wait(self._within_pass(wait)):
                raise Cancelled(f"{operation} {target}: shutting down during back-off")

    def _wait_for_quota(self, quota: CallQuota, operation: str, target: str) -> None:
        """Hold the call until the window has room for it: a call that does not fit waits for the
        next window (the pass keeps its observations) instead of being sent to earn a 429."""
        wait = quota.take()
        if wait <= 0:
            return
        horizon = (self._wait_horizon(self._clock.now()) - self._clock.now()).total_seconds()
        if wait > min(self._retry.max_quota_wait_seconds, max(0.0, horizon)):
            raise HubError(f"{operation} {target}: API quota used up for {wait:.0f} s; not called", status=429)
        log.info("hub_quota_wait", operation=operation, target=target, wait_s=round(wait, 3))
        if self._cancel.wait(wait):
            raise Cancelled(f"{operation} {target}: shutting down while waiting for API quota")
        # Waited once for the reset: the call goes (taking what the new window has, or as a probe).
        if quota.take() > 0:
            quota.take(force=True)

    def quota_remaining(self) -> int | None:
        """Calls left in the API's window as last reported (None: the API reports no quota)."""
        return self.api_quota().remaining

    def api_quota(self) -> CallQuota:
        """The call quota of the API host in use, on this hub's clock (kept across restarts: app/ops/wiring.py)."""
        return self._quota(urlsplit(constants.INFERENCE_ENDPOINTS_ENDPOINT).netloc)

    def _quota(self, host: str) -> CallQuota:
        with self._not_before_lock:
            if host not in self._quotas:
                self._quotas[host] = CallQuota(monotonic=lambda: self._clock.now().timestamp())
            return self._quotas[host]

    def set_wait_horizon(self, horizon: Callable[[datetime], datetime]) -> None:
        """The latest instant any wait may reach from a given now (the daemon: the budget day's end)."""
        self._wait_horizon = horizon

    def _wait_after_http_error(
        self, exc: HfHubHTTPError, attempt: int, key: tuple[str, str], target: str, *, paced: bool = False
    ) -> float:
        """How long to wait before the next attempt; raises when there is to be none in this call."""
        operation = key[1]
        status = exc.response.status_code
        self._observe(operation, str(status))
        message = f"{operation} {target}: HTTP {status}: {exc.server_message or 'no message'}"
        if status == 404:
            raise EndpointNotFound(message + _version_hint(), status=status, request_id=exc.request_id) from None
        if not (status == 429 or status >= 500):
            raise HubError(message, status=status, request_id=exc.request_id) from None
        retry_after = retry_after_seconds(exc.response.headers.get("Retry-After"), now=self._clock.now())
        reading = quota_reading(exc.response.headers) if status == 429 else None
        if retry_after is None and reading is not None:
            retry_after = reading.reset_seconds  # `RateLimit: "api";r=0;t=55` alone says how long
        early = paced and reading is not None and reading.reset_seconds <= self._retry.max_quota_wait_seconds
        if early and attempt < self._retry.max_attempts:
            return 0.0  # the known window ran out early (the quota took the refusal): wait for its reset
        if retry_after is not None:
            until = self._rate_limited_until(key, retry_after)
            if retry_after > self._retry.max_retry_after_seconds:
                # Too long to wait out in a pass: this call fails, and so does every call of this operation
                # until then, without calling (passes in the window make no calls).
                message = f"{message}: rate limited until {to_z(until)}"
                raise HubError(message, status=status, request_id=exc.request_id) from None
        if attempt >= self._retry.max_attempts:
            raise HubError(message, status=status, request_id=exc.request_id) from None
        return self._retry.delay(attempt, retry_after, self._rng)

    def _rate_limited_until(self, key: tuple[str, str], retry_after: float) -> datetime:
        now = self._clock.now()
        # Bounded: never past the wait horizon (the budget day's end), whatever the header said.
        horizon = max(now, self._wait_horizon(now))
        until = now + timedelta(seconds=min(retry_after, (horizon - now).total_seconds()))
        with self._not_before_lock:
            self._not_before[key] = max(until, self._not_before.get(key, until))
            return self._not_before[key]

    def _respect_rate_limit(self, key: tuple[str, str], target: str) -> None:
        """A call inside a Retry-After window waits out a short rest of it, as a retry would, and fails at
        once, without calling, when the rest is long: a failure for its pass, not a silent skip."""
        with self._not_before_lock:
            until = self._not_before.get(key)
        if until is None:
            return
        rest = (until - self._clock.now()).total_seconds()
        if rest > self._retry.max_retry_after_seconds:
            raise HubError(f"{key[1]} {target}: rate limited until {to_z(until)}; not called", status=429)
        if rest > 0 and self._cancel.wait(rest):
            raise Cancelled(f"{key[1]} {target}: shutting down while rate limited")

    def _observe(self, operation: str, outcome: str) -> None:
        if self._observer is not None:
            self._observer(operation, outcome)

    def list_endpoints(self, namespace: str) -> list[Observation]:
        """Every endpoint of a namespace, in one call: `HfApi.list_inference_endpoints`' GET, read from the bytes
        into observations (no `InferenceEndpoint` per item, no decoded text: the pass's peak at 5,000)."""
        items = self._call("list", namespace, answered(f"list {namespace}", lambda: self._listed_items(namespace)))
        return checked(f"list {namespace}", lambda: [observation_from(item, namespace) for item in items])

    def _listed_items(self, namespace: str) -> list[Any]:
        response = get_session().get(
            f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}/endpoint/{namespace}",
            headers=self._headers(),
        )
        hf_raise_for_status(response)
        return list(json.loads(response.content, object_pairs_hook=observed_fields)["items"])

    def get(self, namespace: str, name: str) -> Observation:
        target = f"{namespace}/{name}"
        found = self._call(
            "get",
            target,
            answered(
                f"get {target}", lambda: self._api.get_inference_endpoint(name, namespace=namespace, token=self._token)
            ),
        )
        return checked(f"get {target}", lambda: observation_from(found.raw, namespace))

    def hardware(self, namespace: str) -> list[Any]:
        """The hardware catalogue with prices, as the library parses it."""
        catalogue = lambda: self._api.list_inference_endpoints_hardware(namespace=namespace, token=self._token)  # noqa: E731
        return self._call("hardware", namespace, answered(f"hardware {namespace}", catalogue))

    def apply(self, namespace: str, name: str, step: Step) -> Observation:
        """One mutating call; "already in that state" counts as success."""
        target = f"{namespace}/{name}"
        call: Callable[[], dict[str, Any]]
        match step.kind:
            case StepKind.UPDATE if step.clear_timeout:
                call = lambda: self._put_scaling_clearing_timeout(namespace, name, step)  # noqa: E731
            case StepKind.UPDATE:
                call = lambda: self._update(namespace, name, step)  # noqa: E731
            case _:
                call = lambda: self._post_action(namespace, name, step.kind)  # noqa: E731
        answer = self._call(step.kind.value, target, answered(f"{step.kind.value} {target}", call))
        return checked(f"{step.kind.value} {target}", lambda: observation_from(answer, namespace))

    def _update(self, namespace: str, name: str, step: Step) -> dict[str, Any]:
        """Sizes and timeout through `HfApi.update_inference_endpoint` (it sends only what is not None)."""
        return self._api.update_inference_endpoint(
            name,
            namespace=namespace,
            token=self._token,
            min_replica=step.min_replicas,
            max_replica=step.max_replicas,
            scale_to_zero_timeout=step.scale_to_zero_timeout,
        ).raw

    def _post_action(self, namespace: str, name: str, kind: StepKind) -> dict[str, Any]:
        """The POST `HfApi.pause_inference_endpoint` (resume, scale to zero) sends: its URL, headers and
        error mapping, the answer read straight from the bytes. Not the method itself: an
        `InferenceEndpoint` per answer (two `strptime`s and a dataclass) was a tenth of a call's client CPU,
        and 1,000 pauses due in one minute are bound by that CPU. "Already" answers are read again with a
        GET, as the library's `running_ok` does for a resume."""
        response = get_session().post(
            f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}/endpoint/{namespace}/{name}/{ACTION_PATHS[kind]}",
            headers=self._headers(),
        )
        try:
            hf_raise_for_status(response)
        except HfHubHTTPError as exc:
            if exc.response.status_code == 400 and _already(kind, exc.server_message or exc.response.text):
                return self._api.get_inference_endpoint(name, namespace=namespace, token=self._token).raw
            raise
        return dict(json.loads(response.content))

    def _headers(self) -> dict[str, str]:
        """The library's headers for this token (user agent included), built once: they do not change."""
        if self._built_headers is None:
            self._built_headers = build_hf_headers(token=self._token)
        return self._built_headers

    def _put_scaling_clearing_timeout(self, namespace: str, name: str, step: Step) -> dict[str, Any]:
        """A PUT that sets `scaleToZeroTimeout` to null. `update_inference_endpoint` drops every None
        argument, so it cannot clear the timeout; this sends the same sparse body it would, plus the
        null, through the library's own session, headers and error mapping (all public API)."""
        scaling: dict[str, Any] = {"scaleToZeroTimeout": None}
        if step.min_replicas is not None:
            scaling["minReplica"] = step.min_replicas
        if step.max_replicas is not None:
            scaling["maxReplica"] = step.max_replicas
        response = get_session().put(
            f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}/endpoint/{namespace}/{name}",
            headers=self._headers(),
            json={"compute": {"scaling": scaling}},
        )
        hf_raise_for_status(response)
        return dict(response.json())
