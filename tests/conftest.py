"""Shared fixtures: a real emulator on a free loopback port, and the real client pointed at it."""

from __future__ import annotations

import gc
import itertools
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from hfwarden.clock import ManualClock
from tests.support.emulated import START, TIMINGS  # also imported from here by older tests

# What only system tests need (the emulator's server, uvicorn, the daemon, huggingface_hub) is imported
# inside the fixtures below: `make test-fast` then never imports it at all.
if TYPE_CHECKING:
    import httpx
    from huggingface_hub import HfApi

    from hfwarden.daemon import Daemon
    from hfwarden.emulator.server import Emulator


@pytest.fixture(scope="session")
def _homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where each test's own home directories go: a new, not yet created, folder per test."""
    base = tmp_path_factory.mktemp("homes")
    return (base / str(n) for n in itertools.count())


@pytest.fixture(autouse=True)
def _isolated_home(_homes: Iterator[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # Folders of this test's own, created only by what writes there (huggingface_hub, the state store):
    # two empty folders made and later deleted for each of a thousand tests cost seconds on a slow disk.
    home = next(_homes)
    # huggingface_hub caches a best-effort call under HF_HOME; keep it out of the user's home.
    monkeypatch.setenv("HF_HOME", str(home / "hf_home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # The default state directory is per user ($XDG_STATE_HOME/hfwarden): never the real one in a test.
    state = home / "xdg_state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("HFWARDEN_STATE_DIR", str(state / "hfwarden"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def live() -> Iterator[Emulator]:
    """A small emulator on the system clock, with two endpoints and a token for `acme`."""
    from tests.support.web import seeded_emulator

    with seeded_emulator() as emu:
        yield emu


@pytest.fixture
def daemon(live: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """The daemon with its HTTP surface on a free port, against `live`."""
    from tests.support.web import running_daemon

    with running_daemon(live, tmp_path, monkeypatch) as running:
        yield running


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    """An emulator on the system clock with 30 running endpoints, for the CLI run as a process."""
    from tests.support.process import thirty_endpoints

    with thirty_endpoints() as emu:
        yield emu


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[Emulator]:
    from hfwarden.emulator.server import DEFAULT_TOKEN, Emulator

    with Emulator(
        clock=clock,
        timings=TIMINGS,
        tokens={DEFAULT_TOKEN: frozenset({"*"}), "hf_acme_only": frozenset({"acme"})},
    ) as emu:
        yield emu


@pytest.fixture
def api(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    """The unmodified huggingface_hub client, pointed at the emulator the supported way."""
    from huggingface_hub import HfApi, constants

    from hfwarden.emulator.server import DEFAULT_TOKEN

    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", emulator.api_url)
    return HfApi(endpoint=emulator.base_url, token=DEFAULT_TOKEN)


@pytest.fixture
def client_at_emulator(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """hfwarden's own client configuration (timeouts, URLs) pointed at the emulator, restored afterwards."""
    from huggingface_hub import constants

    from hfwarden.adapters.hub import configure_client

    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", constants.INFERENCE_ENDPOINTS_ENDPOINT)
    monkeypatch.setattr(constants, "ENDPOINT", constants.ENDPOINT)
    configure_client(endpoints_api_url=emulator.api_url, hub_url=emulator.base_url, timeout_seconds=10)


@pytest.fixture
def control(emulator: Emulator) -> Iterator[httpx.Client]:
    """A plain HTTP client for the emulator's `/_emulator` routes and the data plane."""
    import httpx

    with httpx.Client(base_url=emulator.base_url, timeout=10) as client:
        yield client


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def _migrated_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.support.stores import migrated_template

    return migrated_template(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def fresh_state(_migrated_state: Path) -> Callable[[Path], str]:
    """`fresh_state(path)`: a new, empty state database at `path` (a copy of one migrated once per
    session: migrating a new store costs a fifth of a second); its URL."""
    from tests.support.stores import fresh_copy

    return lambda path: fresh_copy(_migrated_state, path)


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
def state_url(tmp_path: Path) -> str:
    """Where `warden`'s store is: a SQLite file in the test's folder, unless the module says otherwise
    (a module parametrized over SQLite and PostgreSQL defines its own)."""
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
def warden(tmp_path: Path, emulator: Emulator, clock: ManualClock, state_url: str) -> Iterator[Factory]:
    """A new reconciler (and store) per call: each call is one life of the daemon, on `state_url`."""
    from hfwarden.adapters.store import Store
    from hfwarden.app.reconcile.reconciler import Reconciler
    from tests.support.passes import hub_at
    from tests.support.settings import config_from

    made: list[tuple[Reconciler, Store]] = []

    def factory(text: str) -> Reconciler:
        store = Store(state_url)
        reconciler = Reconciler(config=config_from(tmp_path, text), hub=hub_at(emulator), store=store, clock=clock)
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
# What a test's own code names when it starts a process, a server or a database of its own: the
# `subprocess` module, and callables whose name ends in one of these.
STARTS = ("hfwarden", "Popen", "Process", "Emulator", "Daemon", "Running", "page_world")
STARTS_MODULES = frozenset({"subprocess"})
# Modules whose tests reach real parts through fixtures or helpers of their own (the emulator, a
# daemon, processes, a state store, the whole CLI).
# Also listed: modules whose every test is system already (the emulator or a daemon through the shared
# fixtures), so that `make test-fast` does not import them; `test_*_emulator` modules are system by
# their name.
SYSTEM_MODULES = frozenset(
    {
        "test_alerts",
        "test_apprise_sink",  # a loopback receiver
        "test_browser",
        "test_config_reload",
        "test_container",
        "test_daemon",
        "test_daemon_memory",  # starts Python processes
        "test_delivery",
        "test_deploy",
        "test_emulator_control",
        "test_emulator_fidelity",
        "test_emulator_lifecycle",
        "test_emulator_protocol",
        "test_emulator_traffic",
        "test_daily_use",  # the CLI as a process
        "test_grafana",
        "test_ha",
        "test_hostile_alerts",  # loopback receivers, a slowloris one among them
        "test_hostile_api",  # a misbehaving proxy in front of the emulator
        "test_hostile_config",  # `hfwarden validate` as a process (a segfault must stay one)
        "test_hostile_daemon",
        "test_hostile_holds",
        "test_hub_adapter",
        "test_hub_env",
        "test_wire",  # loopback servers, plain and TLS
        "test_install_day",
        "test_migrations",
        "test_newcomer",
        "test_operations",
        "test_page",
        "test_people_loop",
        "test_predictions",  # `recommend` and every policy over weeks of trace: seconds each
        "test_prices",
        "test_prometheus",  # a real Prometheus server
        "test_recommend",  # the whole `recommend` command over weeks of trace: seconds each
        "test_reconciler",
        "test_release",
        "test_sandbox",
        "test_startups_views",
        "test_state_errors",
        "test_state_loss",
        "test_status_blind",
        "test_store",
        "test_takeover",
        "test_views_agree",
        "test_web",
        "test_web_input",  # the page's server
    }
)


def is_system_module(name: str) -> bool:
    """A module of system tests only: listed above, or named for the emulator."""
    return name in SYSTEM_MODULES or name.endswith("_emulator")


BROWSER_MODULES = frozenset({"test_browser"})
KINDS = ("unit", "system", "postgres", "browser")


def _names(code: CodeType) -> Iterator[str]:
    """The global and attribute names a function's code uses, its nested functions' included."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _names(constant)


def _starts_something(item: pytest.Function) -> bool:
    # Read from the compiled code, not the source text: tokenizing a thousand tests' source took a
    # second of every run.
    code = getattr(item.function, "__code__", None)
    if code is None:
        return False
    return any(name in STARTS_MODULES or name.endswith(STARTS) for name in _names(code))


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
        or is_system_module(module)
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


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, test items, their parameters) lives until the end of the run:
    frozen, the garbage collector stops scanning it again at every full collection (a third of the
    collector's time in `make test-fast`)."""
    gc.collect()
    gc.freeze()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m unit` (make test-fast) does not even import the modules that hold only system tests."""
    if config.getoption("markexpr") == "unit" and is_system_module(collection_path.stem):
        return True
    return None
