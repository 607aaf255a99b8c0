"""Hostile answers from the Inference Endpoints API (issue 18), through a misbehaving proxy in front of
the emulator and the real `huggingface_hub` client: one namespace's or one call's bad answer is that
namespace's or call's failure, never the pass's, and no answer can hold a pass or a stop for ever."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import constants

from hfwarden.adapters.hub import Hub, HubError, MalformedAnswer, RetryPolicy, configure_client
from hfwarden.adapters.store import Store
from hfwarden.app.reconcile.reconciler import Reconciler
from hfwarden.clock import ManualClock
from hfwarden.config import load_config
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator, SeedEndpoint
from tests.conftest import TIMINGS
from tests.support.hostile_proxy import HostileProxy, Mode, Rule

INSTANCE = "aws/us-east-1/nvidia-t4/x1"
# Both endpoints are paused by a rule that fired at midnight: the first pass catches it up.
SCHEDULE = """\
version: 1
endpoints:
  - {namespace: acme, name: a1, schedule: [{cron: '0 0 * * *', action: pause}]}
  - {namespace: acme, name: a2, schedule: [{cron: '0 0 * * *', action: pause}]}
  - {namespace: beta, name: b1, schedule: [{cron: '0 0 * * *', action: pause}]}
"""
# A safety net for the old code, which hung: never reached by the fixed code.
HANG_NET_S = 60


@pytest.fixture
def world(clock: ManualClock) -> Iterator[Emulator]:
    seeds = [
        SeedEndpoint("acme", "a1", INSTANCE),
        SeedEndpoint("acme", "a2", INSTANCE),
        SeedEndpoint("beta", "b1", INSTANCE),
    ]
    with Emulator(clock=clock, timings=TIMINGS, tokens={DEFAULT_TOKEN: frozenset({"*"})}, seeds=seeds) as emu:
        yield emu


@pytest.fixture
def proxy(world: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileProxy]:
    with HostileProxy(world.base_url) as hostile:
        monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
        monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
        configure_client(endpoints_api_url=hostile.api_url, hub_url=hostile.url, timeout_seconds=5)
        yield hostile


Make = Callable[..., Reconciler]


@pytest.fixture
def warden(tmp_path: Path, proxy: HostileProxy, clock: ManualClock) -> Iterator[Make]:
    made: list[tuple[Reconciler, Store]] = []

    def make(*, request_deadline: float = 30.0, list_deadline: float = 10.0, attempts: int = 2) -> Reconciler:
        path = tmp_path / "s.yaml"
        path.write_text(SCHEDULE)
        store = Store(f"sqlite:///{tmp_path / 'state.db'}")
        hub = Hub(
            DEFAULT_TOKEN,
            retry=RetryPolicy(max_attempts=attempts, base_seconds=0.01, max_seconds=0.02),
            hub_url=proxy.url,
            request_deadline_seconds=request_deadline,
        )
        reconciler = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock)
        reconciler.executor.deadlines.list_s = list_deadline
        made.append((reconciler, store))
        return reconciler

    yield make
    for reconciler, store in made:
        reconciler.close()
        store.close()


def items(change: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    """A mangler of a list answer: `change` applied to its first item."""

    def mangle(body: Any) -> Any:
        body["items"][0] = change(body["items"][0])
        return body

    return mangle


def without_status(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "status"}


def with_status(**fields: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda item: {**item, "status": {**item["status"], **fields}}


LIST_ANSWERS = {
    "truncated-json": Rule("/endpoint/acme", Mode.TRUNCATE, method="GET"),
    "html-200": Rule("/endpoint/acme", Mode.HTML, method="GET"),
    "item-without-status": Rule("/endpoint/acme", Mode.MANGLE, method="GET", mangle=items(without_status)),
    "null-item": Rule("/endpoint/acme", Mode.MANGLE, method="GET", mangle=items(lambda _item: None)),
    "bad-updatedAt": Rule(
        "/endpoint/acme", Mode.MANGLE, method="GET", mangle=items(with_status(updatedAt="yesterday"))
    ),
    "targetReplica-10**30": Rule(
        "/endpoint/acme", Mode.MANGLE, method="GET", mangle=items(with_status(targetReplica=10**30))
    ),
}


@pytest.mark.parametrize("rule", LIST_ANSWERS.values(), ids=LIST_ANSWERS.keys())
def test_one_namespaces_malformed_list_fails_that_namespace_not_the_pass(
    warden: Make, proxy: HostileProxy, world: Emulator, rule: Rule
) -> None:
    """Fixed: a malformed list answer ended the whole pass (`pass_crashed`) on every tick."""
    proxy.rules.append(rule)
    report = warden().run_pass()
    assert rule.hits >= 1
    assert "acme" in report.unobservable
    assert "malformed answer" in report.unobservable["acme"]
    assert report.acted == ["beta/b1"]  # the other namespace was reconciled as if nothing happened
    assert world.world.get("beta", "b1").state == "paused"


def test_garbage_answering_a_successful_pause_fails_that_call_only(
    warden: Make, proxy: HostileProxy, world: Emulator
) -> None:
    """Fixed: garbage in a 200 to a pause ended the pass, so nothing was recorded for the other calls."""
    proxy.rules.append(Rule("/endpoint/acme/a1/pause", Mode.MANGLE, method="POST", mangle=lambda _body: [1, 2]))
    report = warden().run_pass()
    assert "malformed answer" in report.failed["acme/a1"]
    assert sorted(report.acted) == ["acme/a2", "beta/b1"]


def run_in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_a_dripped_answer_ends_at_the_requests_deadline(proxy: HostileProxy) -> None:
    """Fixed: the timeout was per read, so a body sent one byte every 0.2 s never timed out."""
    proxy.rules.append(Rule("/endpoint/acme", Mode.DRIP, method="GET", interval=0.2))
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=proxy.url, request_deadline_seconds=1.0)
    thread, outcome = run_in_thread(lambda: hub.list_endpoints("acme"))
    thread.join(HANG_NET_S)
    assert outcome, "the dripped list call was still running"
    assert isinstance(outcome[0], HubError)
    assert "deadline" in str(outcome[0])


def test_a_namespace_that_never_answers_does_not_hold_back_the_others(
    warden: Make, proxy: HostileProxy, world: Emulator
) -> None:
    """Fixed: every namespace waited for the silent one's 5 attempts; now it is unobservable this pass
    once the listing deadline passes, and its call is not sent again while it is under way."""
    silent = Rule("/endpoint/acme", Mode.SILENT, method="GET")
    proxy.rules.append(silent)
    # Reads that may wait for minutes: the call to the silent namespace stays under way for both passes.
    configure_client(endpoints_api_url=proxy.api_url, hub_url=proxy.url, timeout_seconds=300)
    reconciler = warden(list_deadline=5, request_deadline=300, attempts=1)
    report = reconciler.run_pass()
    assert "no answer within 5 s" in report.unobservable["acme"]
    assert report.acted == ["beta/b1"]
    again = reconciler.run_pass()
    assert "acme" in again.unobservable
    assert silent.hits == 1  # still the first call, not a pile of them
    proxy.stopped.set()  # the silent answer ends (a closed connection): the pool's thread is free to close


def test_a_stop_cuts_a_dripped_request_short(proxy: HostileProxy) -> None:
    """Fixed: SIGTERM waited for the pass, and the pass for a dripped answer that never ended."""
    proxy.rules.append(Rule("/endpoint/acme", Mode.DRIP, method="GET", interval=0.5))
    stop = threading.Event()
    hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=5), hub_url=proxy.url, cancel=stop)
    thread, outcome = run_in_thread(lambda: hub.list_endpoints("acme"))
    while proxy.rules[0].hits == 0:
        thread.join(0.05)
    stop.set()
    thread.join(HANG_NET_S)
    assert outcome
    assert isinstance(outcome[0], HubError)


def test_observation_bounds_refuse_an_absurd_count() -> None:
    from hfwarden.adapters.hub import observation_from

    raw = {
        "name": "x",
        "status": {"state": "running", "updatedAt": "2026-01-05T08:00:00Z", "targetReplica": 10**30},
    }
    with pytest.raises(MalformedAnswer, match="targetReplica"):
        observation_from(raw, "acme")


def test_hardware_prices_that_are_not_finite_bounded_numbers_are_left_out() -> None:
    """Fixed: `float(price_per_hour)` of garbage raised inside the pass; a huge one reached the guard."""
    from types import SimpleNamespace

    from hfwarden.adapters.prices import priced

    def hardware(size: str, price: object) -> SimpleNamespace:
        return SimpleNamespace(
            vendor="aws", region="us-east-1", instance_type="nvidia-l4", instance_size=size, price_per_hour=price
        )

    found = priced(
        [
            hardware("x1", 0.8),
            hardware("x2", "garbage"),
            hardware("x4", 1.7e308),
            hardware("x8", float("nan")),
            SimpleNamespace(),
        ]
    )
    assert found == {"aws/us-east-1/nvidia-l4/x1": 0.8}


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_a_dripping_forward_proxy_from_the_environment_ends_at_the_requests_deadline(
    world: Emulator, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """Fixed: the Hub's client was built with its own transport, and httpx then ignores the proxy
    variables: a daemon that must go through a proxy went straight to the API (or nowhere), and the
    proxy transports httpx would have used had no whole-request deadline. Now the request goes through
    the environment's proxy, which drips its answer, and ends at the deadline all the same."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
    monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
    with HostileProxy(world.base_url) as forward:
        forward.rules.append(Rule("/endpoint/acme", Mode.DRIP, method="GET", interval=0.2))
        monkeypatch.setenv(variable, forward.url)
        # The API's own address: only the environment sends the request to the proxy.
        configure_client(endpoints_api_url=world.api_url, hub_url=world.base_url, timeout_seconds=5)
        hub = Hub(
            DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=1), hub_url=world.base_url, request_deadline_seconds=1.0
        )
        thread, outcome = run_in_thread(lambda: hub.list_endpoints("acme"))
        thread.join(HANG_NET_S)
        assert outcome, "the dripped list call was still running"
        assert [t for t in forward.targets if t.startswith(world.api_url)], forward.targets
        assert isinstance(outcome[0], HubError), outcome[0]
        assert "deadline" in str(outcome[0])
    monkeypatch.delenv(variable)
    configure_client(endpoints_api_url=world.api_url, hub_url=world.base_url, timeout_seconds=5)  # unproxied again
