"""`hfwarden validate` at the documented maxima, and with many `match:` entries. Prints figures.

Each scenario is written to a temporary directory and validated by `hfwarden validate` in its own
process, and `load_config` alone in another; wall and CPU time, peak RSS and the load average are
printed. Targets (issue 18): the documented maxima under 5 s and 500 MB (25,000 rules in all, e.g.
5,000 endpoints x 5 rules or 125 x 200, in 100 files); 1,000 `match:` entries under 2 s.

    .venv/bin/python bench/validate_scale.py                          # small: 500 x 20, 100 matches
    .venv/bin/python bench/validate_scale.py --endpoints 5000 --rules 5 --matches 1000
    .venv/bin/python bench/validate_scale.py --endpoints 125 --rules 200
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILES = 100


def rule(number: int) -> str:
    minute, hour = number % 60, (number // 60) % 24
    action = "resume" if number % 2 == 0 else "pause"
    return f"{{cron: '{minute} {hour} * * 1-5', action: {action}}}"


def write_maxima(directory: Path, endpoints: int, rules: int) -> None:
    per_file = max(1, -(-endpoints // FILES))
    schedule = "[" + ", ".join(rule(n) for n in range(rules)) + "]"
    for number in range(0, endpoints, per_file):
        lines = ["version: 1", "endpoints:"]
        lines += [
            f"  - {{namespace: acme, name: ep-{i:05d}, schedule: {schedule}}}"
            for i in range(number, min(endpoints, number + per_file))
        ]
        (directory / f"f{number // per_file:03d}.yaml").write_text("\n".join(lines) + "\n")


def write_matches(directory: Path, matches: int) -> None:
    lines = ["version: 1", "endpoints:"]
    lines += [
        f"  - {{match: {{namespace: acme, name: 'team{i}-*'}}, "
        f"schedule: [{{cron: '{i % 60} {i % 24} * * *', action: pause}}]}}"
        for i in range(matches)
    ]
    (directory / "matches.yaml").write_text("\n".join(lines) + "\n")


# Run in a child: the time of `load_config` alone (what a reload costs the daemon), its peak RSS.
CHILD = """
import resource, sys, time
from pathlib import Path
from hfwarden.config import ConfigError, load_config
cpu_s = lambda usage: usage.ru_utime + usage.ru_stime
cpu_before = cpu_s(resource.getrusage(resource.RUSAGE_SELF))
started = time.perf_counter()
try:
    config = load_config([Path(sys.argv[1])], need_secrets=False)
    verdict = f"ok: {len(config.endpoints)} endpoints"
except ConfigError as exc:
    verdict = f"{len(exc.problems)} problems"
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - started, cpu_s(usage) - cpu_before, usage.ru_maxrss / 1024, verdict)
"""


def validate(directory: Path) -> str:
    """`hfwarden validate directory` timed as a process, and `load_config` timed inside one."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "hfwarden", "validate", str(directory)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    process_s = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"validate failed: {result.stderr or result.stdout}")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(directory)], cwd=REPO, capture_output=True, text=True, check=True
    )
    load_s, cpu_s, rss_mb, verdict = child.stdout.split(maxsplit=3)
    return (
        f"load_config {float(load_s):.2f} s ({float(cpu_s):.2f} s CPU), peak RSS {float(rss_mb):.0f} MB "
        f"({verdict.strip()}); "
        f"`hfwarden validate` process {process_s:.2f} s, rc={result.returncode}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--matches", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        matches = Path(tmp) / "matches"
        matches.mkdir()
        write_matches(matches, args.matches)
        print(f"match entries: {args.matches}: {validate(matches)}")
        maxima = Path(tmp) / "maxima"
        maxima.mkdir()
        write_maxima(maxima, args.endpoints, args.rules)
        size = sum(f.stat().st_size for f in maxima.iterdir()) / 1e6
        print(f"endpoints x rules: {args.endpoints} x {args.rules} ({size:.1f} MB of YAML): {validate(maxima)}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
