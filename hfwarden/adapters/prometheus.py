"""Prometheus as a demand source: a PromQL query's requests per minute over a window, as a trace.

Plain httpx against Prometheus's documented HTTP API (`/api/v1/query_range`) rather than a client
library: `prometheus-api-client` brings `requests` and `dateparser` (a second HTTP stack beside
httpx) and, for DataFrames, pandas and numpy; it neither splits a long range under the server's
11,000-points limit nor tells a gap from a zero. We need one endpoint of a stable, versioned API.

A minute with no sample is a gap: unknown demand, never zero demand (`Trace.missing`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from hfwarden.adapters.trace import Trace

STEP_SECONDS = 60
# Prometheus refuses a range query of more than 11,000 points per series; stay well under it.
MAX_POINTS_PER_QUERY = 10_000
TOKEN_VARIABLE = "HFWARDEN_PROMETHEUS_TOKEN"  # noqa: S105 (a variable name)
USER_VARIABLE = "HFWARDEN_PROMETHEUS_USER"
PASSWORD_VARIABLE = "HFWARDEN_PROMETHEUS_PASSWORD"  # noqa: S105 (a variable name)
TIMEOUT_SECONDS = 30.0


class PrometheusError(Exception):
    """Prometheus could not give the demand (unreachable, refused, bad PromQL, no samples): one line,
    never a secret."""


@dataclass(frozen=True)
class PrometheusAuth:
    """Bearer token or basic auth, from the environment. Never in repr."""

    token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> PrometheusAuth:
        """`HFWARDEN_PROMETHEUS_TOKEN` (or `_FILE`), else `HFWARDEN_PROMETHEUS_USER` and `_PASSWORD`
        (or `_PASSWORD_FILE`), else none."""
        env = os.environ if environ is None else environ
        token = _secret(env, TOKEN_VARIABLE)
        if token:
            return cls(token=token)
        user = env.get(USER_VARIABLE)
        if user:
            return cls(user=user, password=_secret(env, PASSWORD_VARIABLE) or "")
        return cls()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def basic(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user else None

    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.password) if s]


def _secret(env: Mapping[str, str], variable: str) -> str | None:
    value = env.get(variable)
    if value:
        return value.strip()
    path = env.get(f"{variable}_FILE")
    if not path:
        return None
    try:
        text = Path(path).read_text().strip()
    except OSError as exc:
        raise PrometheusError(f"{variable}_FILE {path}: {exc.strerror or exc}") from None
    if not text:
        raise PrometheusError(f"{variable}_FILE {path} is empty")
    return text


def query_for(template: str, endpoint: str | None) -> str:
    """The template with `{namespace}` and `{name}` filled in. Only those two placeholders: PromQL's
    own braces (`metric{route="/generate"}`) are left as they are."""
    if endpoint is None:
        if "{namespace}" in template or "{name}" in template:
            raise PrometheusError("the query has {namespace}/{name} placeholders: give --endpoint NAMESPACE/NAME")
        return template
    namespace, _, name = endpoint.partition("/")
    return template.replace("{namespace}", namespace).replace("{name}", name)


def shown(url: str) -> str:
    """The URL for messages: without user:password@."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def floor_minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def chunks(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) as inclusive (first, last) sample instants, each chunk under the points limit."""
    span = timedelta(seconds=STEP_SECONDS * MAX_POINTS_PER_QUERY)
    last = end - timedelta(seconds=STEP_SECONDS)
    found = []
    first = start
    while first <= last:
        found.append((first, min(last, first + span - timedelta(seconds=STEP_SECONDS))))
        first += span
    return found


class PrometheusSource:
    """One Prometheus server: range queries at a 60 s step."""

    def __init__(self, url: str, *, auth: PrometheusAuth | None = None, client: httpx.Client | None = None) -> None:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise PrometheusError(f"{shown(url)!r} is not an http(s) URL of a Prometheus server")
        self.url = url.rstrip("/")
        self.auth = auth if auth is not None else PrometheusAuth.from_environ()
        self._own_client = client is None
        # TLS is verified (httpx's default, certifi's roots or SSL_CERT_FILE); never switched off.
        self.client = client or httpx.Client(timeout=TIMEOUT_SECONDS)

    def __repr__(self) -> str:
        return f"PrometheusSource({shown(self.url)})"

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def demand(self, query: str, start: datetime, end: datetime) -> Trace:
        """Requests per minute in [start, end) (whole minutes, UTC); minutes without a sample are
        `missing`. PrometheusError when nothing at all came back."""
        start, end = floor_minute(start), floor_minute(end)
        if end <= start:
            raise PrometheusError("the window is empty: --since must reach before --until")
        size = int((end - start).total_seconds() // 60)
        counts = [0] * size
        known = [False] * size
        for first, last in chunks(start, end):
            for at, value in self._range(query, first, last):
                index = int((at - start).total_seconds() // 60)
                if 0 <= index < size and math.isfinite(value):
                    counts[index] = max(0, round(value))
                    known[index] = True
        if not any(known):
            raise PrometheusError(
                f"the query returned no samples between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"
            )
        missing = frozenset(i for i, seen in enumerate(known) if not seen)
        return Trace(start, tuple(counts), frozenset({timedelta(0)}), missing)

    def _range(self, query: str, first: datetime, last: datetime) -> list[tuple[datetime, float]]:
        params = {"query": query, "start": f"{first.timestamp():.0f}", "end": f"{last.timestamp():.0f}",
                  "step": str(STEP_SECONDS)}  # fmt: skip
        try:
            basic = self.auth.basic()
            answer = self.client.post(
                f"{self.url}/api/v1/query_range",
                data=params,
                headers=self.auth.headers(),
                auth=httpx.BasicAuth(*basic) if basic else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise PrometheusError(f"cannot reach Prometheus at {shown(self.url)}: {type(exc).__name__}") from None
        if answer.status_code in (401, 403):
            raise PrometheusError(
                f"Prometheus at {shown(self.url)} answered {answer.status_code}: set {TOKEN_VARIABLE} "
                f"(or {USER_VARIABLE}/{PASSWORD_VARIABLE}) to credentials it accepts"
            )
        body = _json(answer)
        if body.get("status") != "success":
            why = body.get("error") or f"HTTP {answer.status_code}"
            kind = body.get("errorType") or "error"
            raise PrometheusError(f"Prometheus refused the query ({kind}): {str(why).splitlines()[0][:300]}")
        return _samples(body.get("data") or {})


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        raise PrometheusError(
            f"not a Prometheus API answer from {shown(str(answer.request.url))} (HTTP {answer.status_code})"
        ) from None
    if not isinstance(body, dict):
        raise PrometheusError(f"not a Prometheus API answer (HTTP {answer.status_code})")
    return body


def _samples(data: dict[str, Any]) -> list[tuple[datetime, float]]:
    kind, result = data.get("resultType"), data.get("result") or []
    if kind != "matrix":
        raise PrometheusError(f"the query gives a {kind}, not a range of values: give an expression over time")
    if len(result) > 1:
        labels = ", ".join(str(s.get("metric", {})) for s in result[:3])
        raise PrometheusError(
            f"the query returns {len(result)} series ({labels}...): aggregate it to one, e.g. sum(...)"
        )
    values = result[0].get("values", []) if result else []
    return [(datetime.fromtimestamp(float(at), UTC), float(value)) for at, value in values]
