"""Run the emulator: in a background thread for tests, or in the foreground for `hfwarden emulator`."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from hfwarden.clock import Clock, SystemClock
from hfwarden.emulator.app import ALL_NAMESPACES, EmulatorState, build_app
from hfwarden.emulator.world import STATES, ApiError, Timings, World

DEFAULT_TOKEN = "hf_emulator_token"  # noqa: S105 - the emulator's public demo token, not a secret


class EmulatorError(Exception):
    """A problem with the emulator's own input (flags, seed file, port)."""


@dataclass(frozen=True)
class SeedEndpoint:
    """One endpoint a seed file asks for."""

    namespace: str
    name: str
    instance: str  # vendor/region/instanceType/instanceSize, e.g. aws/us-east-1/nvidia-l4/x1
    state: str = "running"
    min_replica: int = 1
    max_replica: int = 1
    scale_to_zero_timeout: int | None = None
    repository: str = "openai-community/gpt2"


def parse_tokens(specs: list[str]) -> dict[str, frozenset[str]]:
    """`TOKEN:NS1,NS2` pairs; no pair at all means one token for every namespace."""
    if not specs:
        return {DEFAULT_TOKEN: frozenset({ALL_NAMESPACES})}
    tokens: dict[str, frozenset[str]] = {}
    for spec in specs:
        token, sep, namespaces = spec.partition(":")
        names = frozenset(n.strip() for n in namespaces.split(",") if n.strip())
        if not token or not sep or not names:
            raise EmulatorError(f"--token expects TOKEN:NS1,NS2 (or TOKEN:* for all), got {spec.split(':')[0][:4]}…")
        tokens[token] = names
    return tokens


def load_seed(path: Path) -> list[SeedEndpoint]:
    """Read a seed file (YAML or JSON list); every problem is reported with the item it is in."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise EmulatorError(f"seed file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise EmulatorError(f"seed file {path}: not valid YAML/JSON: {exc}".replace("\n", " ")) from None
    if isinstance(raw, dict) and "endpoints" in raw:
        raw = raw["endpoints"]
    if not isinstance(raw, list):
        raise EmulatorError(f"seed file {path}: expected a list of endpoints")
    seeds: list[SeedEndpoint] = []
    problems: list[str] = []
    fields = set(SeedEndpoint.__dataclass_fields__)
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(f"item {index}: expected a mapping")
            continue
        unknown = set(item) - fields
        missing = {"namespace", "name", "instance"} - set(item)
        if unknown or missing:
            problems.append(f"item {index}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
            continue
        seed = SeedEndpoint(**item)
        if seed.state not in STATES:
            problems.append(f"item {index}: state {seed.state!r} is not one of {', '.join(STATES)}")
        elif len(seed.instance.split("/")) != 4:
            problems.append(f"item {index}: instance must be vendor/region/type/size, got {seed.instance!r}")
        else:
            seeds.append(seed)
    if problems:
        raise EmulatorError(f"seed file {path}: " + "; ".join(problems))
    return seeds


def endpoint_body(seed: SeedEndpoint) -> dict[str, Any]:
    """The create body `huggingface_hub` would send for a seed endpoint."""
    vendor, region, instance_type, instance_size = seed.instance.split("/")
    accelerator = "cpu" if instance_type.startswith("intel") else "gpu"
    scaling: dict[str, Any] = {"minReplica": seed.min_replica, "maxReplica": seed.max_replica}
    if seed.scale_to_zero_timeout is not None:
        scaling["scaleToZeroTimeout"] = seed.scale_to_zero_timeout
    return {
        "name": seed.name,
        "type": "protected",
        "provider": {"vendor": vendor, "region": region},
        "compute": {
            "accelerator": accelerator,
            "instanceType": instance_type,
            "instanceSize": instance_size,
            "scaling": scaling,
        },
        "model": {
            "repository": seed.repository,
            "framework": "pytorch",
            "revision": None,
            "task": "text-generation",
            "image": {"huggingface": {}},
        },
    }


def seed_world(world: World, seeds: list[SeedEndpoint]) -> None:
    with world.lock:
        for seed in seeds:
            try:
                world.create(seed.namespace, endpoint_body(seed), state=seed.state)
            except ApiError as exc:
                raise EmulatorError(f"seed {seed.namespace}/{seed.name}: {exc.message}") from None


def bind(host: str, port: int) -> socket.socket:
    """Take the port now, so that a clash is one clear error before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this; without it small answers wait on delayed ACKs (~40 ms each).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful stop (exit -15); a stopped emulator exits 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class Emulator:
    """An emulator bound to a port; `start()` serves it from a background thread."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        timings: Timings | None = None,
        tokens: dict[str, frozenset[str]] | None = None,
        seeds: list[SeedEndpoint] | None = None,
    ) -> None:
        self.world = World(clock or SystemClock(), timings)
        self.state = EmulatorState(world=self.world, tokens=tokens or parse_tokens([]))
        seed_world(self.world, seeds or [])
        self._socket = bind(host, port)
        bound_host, bound_port = self._socket.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        config = uvicorn.Config(
            build_app(self.state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="httptools",
            timeout_keep_alive=30,
        )
        self._server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        """What `huggingface_hub.constants.INFERENCE_ENDPOINTS_ENDPOINT` should be."""
        return f"{self.base_url}/v2"

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM."""
        self._server.run(sockets=[self._socket])

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise EmulatorError("the emulator thread stopped while starting")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
