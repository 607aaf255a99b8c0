"""Hostile and broken schedule files (issue 9): each ends as a bounded `file:line` problem, never as a
hang, a traceback or a flood. Each test is named after the defect it pins down."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hfwarden.config import ConfigError, load_config, loader
from hfwarden.config.models import MAX_REPLICAS, MAX_RULES_PER_ENDPOINT
from hfwarden.config.problems import MAX_REPORTED
from hfwarden.config.source import MAX_ALIAS_NODES, MAX_FILE_BYTES, MAX_YAML_DEPTH

REPO = Path(__file__).resolve().parent.parent
# A safety net only: each of these finishes in well under a second, but the old code hung.
HANG_TIMEOUT_S = 30


def problems(path: Path, *, need_secrets: bool = True) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config([path], need_secrets=need_secrets)
    return [str(p) for p in caught.value.problems]


def hfwarden(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hfwarden", *args],
        env=env or dict(os.environ),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG_TIMEOUT_S,
        check=False,
    )


def alias_bomb(levels: int) -> str:
    """The 408-byte document of issue 9: each level is nine aliases of the one before."""
    lines = [
        "version: 1",
        "endpoints: []",
        "alerts:",
        '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for n in range(1, levels + 1):
        previous = f"*a{n - 1}"
        lines.append(f"  a{n}: &a{n} [{','.join([previous] * 9)}]")
    return "\n".join(lines) + "\n"


def test_non_utf8_file_is_a_file_line_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"version: 1\nendpoints:\n  - {namespace: acme, name: caf\xe9}\n")
    assert problems(path) == [f"{path}:3: not UTF-8 text: byte 0xe9 at column 32"]


def test_validate_of_a_non_utf8_file_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xff\xfe version: 1\n")
    result = hfwarden("validate", str(path))
    assert result.returncode == 2
    assert f"{path}:1: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(alias_bomb(9))
    started = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - started < HANG_TIMEOUT_S
    assert found == [f"{path}:1: its aliases expand to more than {MAX_ALIAS_NODES:,} extra YAML nodes; refused"]


def test_small_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(
            """
            version: 1
            endpoints:
              - namespace: acme
                name: a
                schedule: &office
                  - {cron: "0 9 * * 1-5", action: resume}
                  - {cron: "0 18 * * 1-5", action: pause}
              - {namespace: acme, name: b, schedule: *office}
            """
        )
    )
    assert [len(e.rules) for e in load_config([path]).endpoints] == [2, 2]


def test_a_key_of_its_own_overrides_a_merged_one(tmp_path: Path) -> None:
    """Fixed: `<<: *day` then `cron:` was refused as "key 'cron' appears twice in one mapping",
    though overriding what is merged is what merge keys are for. The same key twice is still refused."""
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(
            """
            version: 1
            endpoints:
              - namespace: acme
                name: a
                schedule:
                  - &day {cron: "0 9 * * 1-5", action: resume, min_replicas: 1, max_replicas: 2}
                  - {<<: *day, cron: "0 12 * * 1-5", max_replicas: 4}
                  - {cron: "0 18 * * 1-5", action: pause, action: pause}
            """
        )
    )
    assert problems(path) == [f"{path}:9: key 'action' appears twice in one mapping"]
    path.write_text(path.read_text().replace(", action: pause}", "}"))
    noon = load_config([path]).endpoints[0].rules[1]
    assert (noon.cron.expression, noon.action.max_replicas, noon.action.min_replicas) == ("0 12 * * 1-5", 4, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [*a]\n", "an alias refers to a node that contains it"),
        ("x: " + "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1) + "\n", "nested deeper than"),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than"),
    ],
    ids=["recursive-alias", "too-deep", "deep-enough-to-overflow-the-parser"],
)
def test_pathological_yaml_is_one_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    (found,) = problems(path)
    assert found.startswith(f"{path}:"), found
    assert message in found, found


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nendpoints: []\n" + "#" * MAX_FILE_BYTES)
    assert problems(path) == [f"{path}:0: larger than {MAX_FILE_BYTES // 1024} KiB; refused"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_yaml_does_not_hang_validate(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "ok.yaml").write_text("version: 1\nendpoints: []\n")
    result = hfwarden("validate", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path / 'pipe.yaml'}:0: not a regular file" in result.stderr


def test_too_many_rules_in_one_endpoint_is_one_problem(tmp_path: Path) -> None:
    rules = "".join(f"      - {{cron: '{n % 60} 9 * * *', action: pause}}\n" for n in range(2000))
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n{rules}")
    (found,) = problems(path)
    assert f"{path}:5: endpoint acme/chat: schedule: List should have at most {MAX_RULES_PER_ENDPOINT} items" in found


def test_same_minute_warnings_are_cheap_and_capped(tmp_path: Path) -> None:
    # Every pair of these clashes: 19,900 warnings before the cap.
    rules = "".join(f"      - {{cron: '0 9 * * *', action: scale, min_replicas: {n % 5}}}\n" for n in range(200))
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n{rules}")
    warnings = [str(w) for w in load_config([path]).warnings]
    assert len(warnings) == MAX_REPORTED + 1
    assert warnings[-1] == f"… and {200 * 199 // 2 - MAX_REPORTED} more warnings"


def test_every_problem_is_capped_too(tmp_path: Path) -> None:
    rules = "".join(f"      - {{cron: 'bad {n}', action: pause}}\n" for n in range(120))
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n{rules}")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    found = [str(p) for p in caught.value.problems]
    assert len(found) == MAX_REPORTED + 1
    assert found[-1] == f"… and {120 - MAX_REPORTED} more problems"
    assert caught.value.total == 120


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{cron: '* * 31 2 *', action: pause}", "bad cron '* * 31 2 *': never fires: no month of 2 has a day 31"),
        ("{cron: '0 9 30 2 *', action: pause}", "never fires"),
        ("{cron: '0 9 31 4,6,9,11 *', action: pause}", "never fires"),
        ("{cron: '0 9 1 1 * 2030', action: pause}", "expected 5 fields"),
        ("{cron: '0 9 * * 1', action: resume, min_replicas: true}", "min_replicas: Input should be a valid integer"),
        ("{cron: '0 9 * * 1', action: resume, max_replicas: 1.0}", "max_replicas: Input should be a valid integer"),
        ("{cron: '0 9 * * 1', action: resume, max_replicas: '2'}", "max_replicas: Input should be a valid integer"),
        (
            "{cron: '0 9 * * 1', action: resume, min_replicas: 100000000000000000000000}",
            f"min_replicas: Input should be less than or equal to {MAX_REPLICAS}",
        ),
        (
            "{cron: '0 9 * * 1', action: scale, scale_to_zero_timeout: 99999999}",
            "scale_to_zero_timeout: Input should be less than or equal to",
        ),
    ],
    ids=[
        "feb-31-never-fires",
        "feb-30-never-fires",
        "31st-of-30-day-months",
        "six-fields",
        "replicas-true",
        "replicas-float",
        "replicas-string",
        "replicas-10e23",
        "timeout-huge",
    ],
)
def test_impossible_crons_and_loose_numbers_are_refused(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"version: 1\nendpoints:\n  - namespace: acme\n    name: chat\n    schedule:\n      - {rule}\n")
    found = problems(path)
    assert any(message in p for p in found), found


def test_feb_29_is_allowed_it_fires_in_leap_years(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nendpoints:\n  - {namespace: a, name: b, schedule: [{cron: '0 9 29 2 *', action: pause}]}\n"
    )
    assert load_config([path]).endpoints[0].rules[0].cron.expression == "0 9 29 2 *"


def test_missing_config_names_the_setting(tmp_path: Path) -> None:
    (found,) = problems(tmp_path / "schedules")
    assert "no such file or directory" in found
    assert "--config" in found
    assert "HFWARDEN_CONFIG" in found


def test_plan_of_a_far_date_is_one_line_exit_2() -> None:
    result = hfwarden("plan", "--config", "schedules", "--date", "9999-12-31")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "--date" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["plan", "validate"], ids=["plan", "validate"])
def test_plan_and_validate_need_no_alert_secrets(tmp_path: Path, command: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\nendpoints: []\nalerts:\n  slack: {webhook_url: '${HFWARDEN_TEST_UNSET_URL}'}\n"
        "  webhooks: [{name: ops, url: '${HFWARDEN_TEST_UNSET_URL}', secret: '${HFWARDEN_TEST_UNSET_SECRET}'}]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HFWARDEN_")}
    args = ["plan", "--config", str(path), "--date", "2026-03-30"] if command == "plan" else ["validate", str(path)]
    result = hfwarden(*args, env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("bound", "files", "message"),
    [
        ("MAX_ENDPOINTS", 1, "more than 3 endpoints in all; refused"),
        ("MAX_FILES", 5, "more than 3 schedule files; refused"),
    ],
    ids=["endpoints", "files"],
)
def test_file_sets_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str, files: int, message: str
) -> None:
    monkeypatch.setattr(loader, bound, 3)  # the real bounds, 5,000 and 100, take longer to reach
    endpoints = "".join(f"  - {{namespace: acme, name: e{n}}}\n" for n in range(4))
    for n in range(files):
        (tmp_path / f"{n}.yaml").write_text(f"version: 1\nendpoints:\n{endpoints.replace('name: e', f'name: f{n}-')}")
    found = problems(tmp_path)
    assert len(found) == 1, found
    assert message in found[0]
