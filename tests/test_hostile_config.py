"""Hostile schedule directories and files (issue 18): each ends as one `file:line` problem and exit 2,
never a segfault, a traceback or a daemon that exits on SIGHUP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfwarden.config import ConfigError, load_config, loader, source
from hfwarden.config.source import MAX_YAML_DEPTH
from hfwarden.daemon import config_fingerprint

REPO = Path(__file__).resolve().parent.parent
HANG_NET_S = 60

# 30,000 levels overflowed libyaml's C stack in the composer (rc 139) before any depth check ran.
DEEP = {
    "flow-lists": "[" * 30_000,
    "flow-mappings": "{a: " * 30_000,
    "block-lists": "- " * 30_000 + "x",
    "complex-keys": "? " * 30_000,
}


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", "validate", *map(str, paths)],
        env=dict(os.environ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG_NET_S,
        check=False,
    )


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_validate_refuses_nesting_deep_enough_to_overflow_the_c_stack(tmp_path: Path, text: str) -> None:
    """Fixed: `validate` segfaulted (the daemon too, on every reload and start). In a subprocess: the
    old code took the test runner down with it."""
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    result = validate(path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[0] == f"{path}:1: nested deeper than {MAX_YAML_DEPTH} levels; refused"
    assert "Traceback" not in result.stderr


def symlink_loop(directory: Path) -> Path:
    directory.mkdir()
    (directory / "a.yaml").symlink_to("b.yaml")
    (directory / "b.yaml").symlink_to("a.yaml")
    return directory


def test_a_symlink_loop_in_the_schedules_directory_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """Fixed: `Path.resolve()` raised, in `validate` (a traceback) and in the daemon's reload (exit 1)."""
    directory = symlink_loop(tmp_path / "schedules")
    result = validate(directory)
    assert result.returncode == 2
    assert f"{directory / 'a.yaml'}:0: cannot read: Too many levels of symbolic links" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_reload_fingerprint_survives_a_symlink_loop(tmp_path: Path) -> None:
    """Fixed: SIGHUP with a loop made the daemon exit 1 (the fingerprint ran outside the reload's guard)."""
    directory = symlink_loop(tmp_path / "schedules")
    assert len(config_fingerprint([directory])) == 2
    with pytest.raises(ConfigError):
        load_config([directory], need_secrets=False)


BAD_FILES = {
    "list-as-key": ("version: 1\nendpoints: []\n[a, b]: 1\n", 3, "a list or mapping as a key"),
    "mapping-as-key": ("version: 1\n{a: 1}: 2\nendpoints: []\n", 2, "a list or mapping as a key"),
    "year-0": ("version: 1\nendpoints: []\ncalendars:\n  hol: {dates: [0000-01-01]}\n", 4, "year 0 is out of range"),
}


def problems(*paths: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(list(paths), need_secrets=False)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("text", "line", "why"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_an_odd_file_is_one_file_line_problem(tmp_path: Path, text: str, line: int, why: str) -> None:
    """Fixed: each was a traceback in `validate` (an unhashable key, a year-0 date)."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line}: ")
    assert why in problem


def test_a_directory_named_like_a_schedule_file_is_refused(tmp_path: Path) -> None:
    """Fixed: `os.fdopen` of a directory raised IsADirectoryError: a traceback."""
    (tmp_path / "x.yaml").mkdir()
    assert problems(tmp_path) == [
        f"{tmp_path / 'x.yaml'}:0: not a regular file (a FIFO, device or directory?); refused"
    ]


def test_sixty_star_globs_that_never_meet_are_checked_at_once(tmp_path: Path) -> None:
    """Fixed: the overlap check walked every pair of positions of every pair of globs, memoised without
    bound: 60 globs `*a*a…*xNN` (different schedules) did not finish in minutes; now one look at their
    suffixes tells them apart. A subprocess, so that the old code is stopped by the safety net."""
    lines = ["version: 1", "endpoints:"]
    lines += [
        f"  - {{match: {{namespace: acme, name: '{'*a' * 95}*x{i:02d}'}}, "
        f"schedule: [{{cron: '{i} 1 * * *', action: pause}}]}}"
        for i in range(60)
    ]
    path = tmp_path / "stars.yaml"
    path.write_text("\n".join(lines) + "\n")
    result = validate(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 0 endpoints, 60 match entries")


MONEY = {
    "price-1.7e308": (
        "version: 1\nendpoints: []\npricing:\n  aws/us-east-1/nvidia-l4/x1: 1.7e308\n",
        4,
        "less than or equal to 10000",
    ),
    "budget-1.7e308": (
        "version: 1\nendpoints: []\nbudgets:\n  - {name: b, daily_usd: 1.7e308, scope: {namespace: acme}}\n",
        4,
        "less than or equal to 1000000000",
    ),
}


@pytest.mark.parametrize(("text", "line", "why"), MONEY.values(), ids=MONEY.keys())
def test_money_is_bounded_like_replicas(tmp_path: Path, text: str, line: int, why: str) -> None:
    """Fixed: finite but huge prices or budgets validated, overflowed to `inf` in the projection and made
    the guard pause."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    [problem] = problems(path)
    assert problem.startswith(f"{path}:{line}: ")
    assert why in problem


def endpoints_file(path: Path, names: list[str], rules: int) -> Path:
    """Block style: endpoint n (from 0) starts at line 3 + n * (rules + 3)."""
    lines = ["version: 1", "endpoints:"]
    for name in names:
        lines += ["  - namespace: acme", f"    name: {name}", "    schedule:"]
        lines += [f"      - {{cron: '{minute} 9 * * *', action: pause}}" for minute in range(rules)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rules_across_all_files_are_bounded_once_where_the_count_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented maxima (5,000 endpoints x 200 rules: a million rules) could not validate in 5 s;
    the bound on rules in all files is what is met (docs/schedules.md). 10 instead of 25,000 here."""
    monkeypatch.setattr(loader, "MAX_RULES", 10)
    for n in range(3):
        endpoints_file(tmp_path / f"f{n}.yaml", [f"e{n}a", f"e{n}b"], rules=3)
    # 3 rules each: f1.yaml's second endpoint (its `schedule:` at line 11) brings the count to 12.
    assert problems(tmp_path) == [f"{tmp_path / 'f1.yaml'}:11: endpoint acme/e1b: more than 10 rules in all; refused"]


def test_yaml_nodes_across_all_files_are_bounded_before_they_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What any schedule costs to parse is its YAML nodes: 100 files of 1 MiB (the per-file bounds)
    were minutes of parsing. Counted on libyaml's event stream, before any node is built; later
    files are not read. 60 instead of 200,000 here."""
    monkeypatch.setattr(source, "MAX_YAML_NODES", 60)
    for n in range(4):
        # 36 nodes a file (5 a rule): the budget runs out in the second file.
        endpoints_file(tmp_path / f"f{n}.yaml", [f"e{n}"], rules=5)
    [problem] = problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'f1.yaml'}:")
    assert problem.endswith(": more than 60 YAML nodes across all schedule files (a rule is 5 to 10); refused")


def test_validate_loads_neither_the_store_nor_the_daemons_wiring(tmp_path: Path) -> None:
    """Part of `validate`'s time at the documented maxima (issue 18's target, 5 s) was ~1.2 s of CPU
    importing SQLAlchemy, Alembic and the daemon's wiring for two exception classes and a type hint."""
    path = endpoints_file(tmp_path / "s.yaml", ["e"], rules=1)
    script = (
        "import sys\nfrom hfwarden.cli import main\ncode = main(['validate', sys.argv[1]])\n"
        "print(code, sorted(m for m in ('sqlalchemy', 'alembic', 'hfwarden.app.ops.wiring') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=REPO, capture_output=True, text=True, timeout=HANG_NET_S
    )
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr
