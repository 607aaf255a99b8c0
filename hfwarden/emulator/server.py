"""Run the emulator: in a background thread for tests, or in the foreground for `hfwarden emulator`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from hfwarden.clock import Clock, ManualClock, SystemClock, require_aware
from hfwarden.emulator.app import ALL_NAMESPACES, EmulatorState, build_app
from hfwarden.emulator.faults import Faults, RateLimit, parse_rate_limit
from hfwarden.emulator.hardware import Quota
from hfwarden.emulator.spec import ApiError
from hfwarden.emulator.world import STATES, Timings, World
from hfwarden.serving import BindError, HttpServer

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


def clock_from_flags(manual_clock: bool, start_time: str | None) -> Clock:
    """`--manual-clock [--start-time ISO8601]`, or the system clock."""
    if not manual_clock:
        if start_time:
            raise EmulatorError("--start-time needs --manual-clock")
        return SystemClock()
    try:
        return ManualClock(require_aware(datetime.fromisoformat(start_time)) if start_time else None)
    except ValueError as exc:
        raise EmulatorError(f"--start-time: {exc}") from None


def rate_limit_from_flag(text: str | None) -> RateLimit | None:
    """`--rate-limit N/WINDOW`, if given."""
    try:
        return parse_rate_limit(text) if text else None
    except ValueError as exc:
        raise EmulatorError(str(exc)) from None


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
        "type": "authenticated",
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
        quota: Quota | None = None,
        nanoseconds: str = "moving",
        rate_limit: RateLimit | None = None,
    ) -> None:
        """`quota`: accelerators per hardware row (POST /_emulator/quota changes it live); `nanoseconds`:
        when answers carry 9-digit fractions ("moving" endpoints, "always", "never"); `rate_limit`: calls
        per fixed window and token (`--rate-limit`; POST /_emulator/faults changes it live)."""
        self.world = World(clock or SystemClock(), timings, quota=quota, nanoseconds=nanoseconds)
        self.state = EmulatorState(
            world=self.world, tokens=tokens or parse_tokens([]), faults=Faults(rate_limit=rate_limit)
        )
        seed_world(self.world, seeds or [])
        try:
            self._http = HttpServer(build_app(self.state), host=host, port=port, proxy_headers=False)
        except BindError as exc:
            raise EmulatorError(str(exc)) from None
        self.base_url = self._http.base_url

    @property
    def api_url(self) -> str:
        """What `huggingface_hub.constants.INFERENCE_ENDPOINTS_ENDPOINT` should be."""
        return f"{self.base_url}/v2"

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM."""
        self._http.serve_forever()

    def start(self) -> Emulator:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
