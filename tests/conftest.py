"""Shared fixtures: a real emulator on a free loopback port, and the real client pointed at it."""

from __future__ import annotations

import inspect
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import pytest
from huggingface_hub import HfApi, constants

from hfwarden.clock import ManualClock
from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator
from hfwarden.emulator.world import Timings

# Fixtures several test modules use, kept in tests/support/ and offered to every test from here.
from tests.support.process import live_emulator  # noqa: F401
from tests.support.web import daemon, live  # noqa: F401

# A Monday, 08:00 UTC: fixed so that every test sees the same day.
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TIMINGS = Timings(pending_seconds=10, init_seconds=60, update_seconds=30, replica_capacity_rpm=60)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # huggingface_hub caches a best-effort call under HF_HOME; keep it out of the user's home.
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # The default state directory is per user ($XDG_STATE_HOME/hfwarden): never the real one in a test.
    state = tmp_path_factory.mktemp("xdg_state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(state / "hfwarden"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    with Emulator(
        clock=clock,
        timings=TIMINGS,
        tokens={DEFAULT_TOKEN: frozenset({"*"}), "hf_acme_only": frozenset({"acme"})},
    ) as emu:
        yield emu


@pytest.fixture
def api(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    """The unmodified huggingface_hub client, pointed at the emulator the supported way."""
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", emulator.api_url)
    return HfApi(endpoint=emulator.base_url, token=DEFAULT_TOKEN)


@pytest.fixture
def client_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """hfwarden's own client configuration (timeouts, URLs) pointed at the emulator, restored afterwards."""
    from hfwarden.adapters.hub import configure_client

    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
    monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
    configure_client(endpoints_api_url=emulator.api_url, hub_url=emulator.base_url, timeout_seconds=10)


@pytest.fixture
def control(emulator: Emulator) -> Iterator[httpx.Client]:
    """A plain HTTP client for the emulator's `/_emulator` routes and the data plane."""
    with httpx.Client(base_url=emulator.base_url, timeout=10) as client:
        yield client


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL for the whole session."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


class WebhookReceiver(BaseHTTPRequestHandler):
    """A webhook sink on loopback that keeps every delivery id and body it was sent."""

    received: ClassVar[list[str]] = []
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        WebhookReceiver.bodies.append(self.rfile.read(length))
        WebhookReceiver.received.append(self.headers.get("X-Hfwarden-Delivery", ""))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def webhook_receiver() -> Iterator[str]:
    WebhookReceiver.received = []
    WebhookReceiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


if TYPE_CHECKING:
    from hfwarden.app.reconcile.reconciler import Reconciler

Factory = Callable[[str], "Reconciler"]


@pytest.fixture
def warden(tmp_path: Path, emulator: Emulator, clock: ManualClock, state_url: str) -> Iterator[Factory]:
    """A new reconciler (and store) per call: each call is one life of the daemon. `state_url` comes
    from the test module (SQLite, or SQLite and PostgreSQL)."""
    from hfwarden.adapters.hub import Hub, RetryPolicy
    from hfwarden.adapters.store import Store
    from hfwarden.app.reconcile.reconciler import Reconciler
    from hfwarden.config import load_config

    made: list[tuple[Reconciler, Store]] = []

    def factory(text: str) -> Reconciler:
        path = tmp_path / "s.yaml"
        path.write_text(textwrap.dedent(text))
        store = Store(state_url)
        hub = Hub(DEFAULT_TOKEN, retry=RetryPolicy(max_attempts=3, base_seconds=0.01), hub_url=emulator.base_url)
        reconciler = Reconciler(config=load_config([path]), hub=hub, store=store, clock=clock)
        made.append((reconciler, store))
        return reconciler

    yield factory
    for reconciler, store in made:
        reconciler.close()
        store.close()


# -- kinds of test: `unit` (what `make test-fast` runs), `system`, `postgres`, `browser` -------------
# Markers are given here, from what a test uses, so that a new test gets its kind without being told.
# `unit`: pure and in-process (in-memory parts, the in-memory Hub twin): no emulator, no process, no
# server, no database file. Everything else is `system`; a test that needs a PostgreSQL server is
# `postgres` too, one that drives Chromium `browser` too. A marker written on a test wins.
SYSTEM_FIXTURES = frozenset(
    {"emulator", "live", "live_emulator", "daemon", "warden", "webhook_receiver", "postgres_url"}
)
# What a test's own code calls when it starts a process, a server or a database of its own.
STARTS = ("hfwarden(", "subprocess.", "Popen(", "Process(", "Emulator(", "Daemon(", "Running(", "page_world(")
# Modules whose tests reach real parts through fixtures or helpers of their own (the emulator, a
# daemon, processes, a state store, the whole CLI).
SYSTEM_MODULES = frozenset(
    {
        "test_alerts",
        "test_apprise_sink",  # a loopback receiver
        "test_browser",
        "test_config_reload",
        "test_container",
        "test_daemon",
        "test_delivery",
        "test_deploy",
        "test_emulator_control",
        "test_emulator_fidelity",
        "test_emulator_lifecycle",
        "test_emulator_protocol",
        "test_daily_use",  # the CLI as a process
        "test_grafana",
        "test_ha",
        "test_hostile_alerts",  # loopback receivers, a slowloris one among them
        "test_hostile_api",  # a misbehaving proxy in front of the emulator
        "test_hostile_config",  # `hfwarden validate` as a process (a segfault must stay one)
        "test_hub_adapter",
        "test_hub_env",
        "test_install_day",
        "test_migrations",
        "test_newcomer",
        "test_page",
        "test_predictions",  # `recommend` and every policy over weeks of trace: seconds each
        "test_prices",
        "test_prometheus",  # a real Prometheus server
        "test_recommend",  # the whole `recommend` command over weeks of trace: seconds each
        "test_sandbox",
        "test_startups_views",
        "test_state_errors",
        "test_state_loss",
        "test_status_blind",
        "test_store",
        "test_web",
        "test_web_input",  # the page's server
    }
)
BROWSER_MODULES = frozenset({"test_browser"})
KINDS = ("unit", "system", "postgres", "browser")


def _starts_something(item: pytest.Function) -> bool:
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return False
    return any(call in source for call in STARTS)


def _uses_postgres(item: pytest.Function) -> bool:
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and "postgresql" in callspec.params.values()
    return on_postgres or "postgres_url" in item.fixturenames


def kinds_of(item: pytest.Function) -> set[str]:
    """The kinds of one test, from its markers, its module, its fixtures and its own code."""
    given = {kind for kind in KINDS if item.get_closest_marker(kind) is not None}
    module = item.module.__name__.rsplit(".", 1)[-1]
    system = (
        "system" in given
        or module in SYSTEM_MODULES
        or bool(set(item.fixturenames) & SYSTEM_FIXTURES)
        or _starts_something(item)
    )
    kinds = given | ({"system"} if system else {"unit"})
    if _uses_postgres(item):
        kinds |= {"system", "postgres"}
    if module in BROWSER_MODULES:
        kinds |= {"browser"}
    return kinds - ({"unit"} if "system" in kinds else set())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function):
            for kind in sorted(kinds_of(item) - {m.name for m in item.iter_markers()}):
                item.add_marker(kind)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m unit` (make test-fast) does not even import the modules that hold only system tests."""
    if config.getoption("markexpr") == "unit" and collection_path.stem in SYSTEM_MODULES:
        return True
    return None
