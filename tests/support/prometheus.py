"""A real Prometheus on loopback for the tests: Debian's `prometheus` and `promtool`, a temporary
storage directory backfilled from OpenMetrics with `promtool tsdb create-blocks-from openmetrics`.

Tests that need it skip with the reason when the binaries are missing, unless
HFWARDEN_REQUIRE_PROMETHEUS is set (CI installs them: `.ci/run`), where a missing one fails them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest


def binaries() -> tuple[str, str] | None:
    found = shutil.which("prometheus"), shutil.which("promtool")
    return (found[0], found[1]) if found[0] and found[1] else None


def require_binaries() -> tuple[str, str]:
    """The two binaries, else a skip (or, under HFWARDEN_REQUIRE_PROMETHEUS, a failure)."""
    found = binaries()
    if found is None:
        why = "Debian's prometheus package (prometheus, promtool) is not installed: apt-get install prometheus"
        if os.environ.get("HFWARDEN_REQUIRE_PROMETHEUS"):
            pytest.fail(why)
        pytest.skip(why)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openmetrics_counter(
    name: str, labels: dict[str, str], rows: Iterable[tuple[datetime, int]], *, sample_every_s: int = 30
) -> str:
    """A counter of `rows` (requests per minute from each minute), sampled every `sample_every_s` within
    each minute so that `rate()` over 2m sees several samples; OpenMetrics text with `# EOF`."""
    label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    lines = [f"# TYPE {name} counter"]
    total = 0.0
    for at, requests in rows:
        base = int(at.timestamp())
        per_sample = requests * sample_every_s / 60
        for offset in range(0, 60, sample_every_s):
            total += per_sample
            lines.append(f"{name}_total{{{label_text}}} {total:g} {base + offset}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def backfill(promtool: str, data: Path, openmetrics: str, work: Path) -> None:
    """TSDB blocks of `openmetrics` in `data`. promtool writes one block per 2 hours (504 for six
    weeks: minutes of CPU on a busy machine), so the blocks are kept under the system's temporary
    directory by the content's hash and copied for each Prometheus."""
    digest = hashlib.sha256(openmetrics.encode()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / f"hfwarden-prometheus-blocks-{digest}"
    if not cached.is_dir():
        source = work / "backfill.om"
        source.write_text(openmetrics)
        building = cached.with_name(f"{cached.name}.{os.getpid()}")
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(building)],
                       check=True, capture_output=True, timeout=1800)  # fmt: skip
        with contextlib.suppress(OSError):  # another process may have built it meanwhile
            building.rename(cached)
    shutil.copytree(cached, data)


@contextlib.contextmanager
def running_prometheus(prometheus: str, data: Path, work: Path, *, scrape: str | None = None) -> Iterator[str]:
    """Prometheus on a free loopback port over `data`, scraping nothing, or `scrape` (host:port)
    every second; yields its base URL."""
    config = work / "prometheus.yml"
    if scrape is None:
        config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    else:
        config.write_text(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: scraped\n"
            f'    static_configs: [{{targets: ["{scrape}"]}}]\n'
        )
    port = free_port()
    log = (work / "prometheus.log").open("w")
    process = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=10y",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, work / "prometheus.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"prometheus not ready after {timeout}s: {log.read_text()[-2000:]}")
