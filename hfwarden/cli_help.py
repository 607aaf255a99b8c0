"""What `hfwarden COMMAND --help` says beyond the flags: what the command does, the environment it
reads, and one example. Text only, so `--help` stays instant; `tests/test_docs_commands.py` parses
every example with the real parser."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_ENV = "HF_TOKEN (or HF_TOKEN_FILE): the Hugging Face token"  # noqa: S105 (a help line)
API = "HFWARDEN_ENDPOINTS_API_URL: the Inference Endpoints API, ending in /v2 (default: the real one)"
CONFIG = "HFWARDEN_CONFIG: schedule file or directory when --config is not given (default: schedules/)"
STATE = "HFWARDEN_STATE_DIR or HFWARDEN_STATE_URL: where the state is (default: ~/.local/state/hfwarden)"


@dataclass(frozen=True)
class CommandHelp:
    """The `--help` of one command: a paragraph, the variables it reads, and an example to copy."""

    description: str
    environment: tuple[str, ...]
    example: str

    def epilog(self) -> str:
        env = "\n".join(f"  {line}" for line in self.environment) or "  none"
        return f"environment:\n{env}\n\nexample:\n  {self.example}\n"


COMMANDS: dict[str, CommandHelp] = {
    "run": CommandHelp(
        "The daemon: apply the schedules to the endpoints, keep the spend ledger, defend the budgets, "
        "serve the status page. --once does one pass and prints what it did; --dry-run decides and logs "
        "but calls nothing that mutates (allowed beside a running daemon: a read-only preview).",
        (TOKEN_ENV, API, CONFIG, STATE, "HFWARDEN_DRY_RUN=true: as --dry-run", "HFWARDEN_HTTP_HOST/PORT: the page"),
        "hfwarden run --once --dry-run",
    ),
    "validate": CommandHelp(
        "Check schedule files: exit 0 when valid, 2 with every problem as file:line. Needs no token.",
        (),
        "hfwarden validate schedules/",
    ),
    "plan": CommandHelp(
        "A day's transitions per endpoint, in its zone and in UTC, with the scheduled cost against each "
        "budget. Needs no token; reads measured start-ups and last prices from the state if there is one.",
        (CONFIG, STATE),
        "hfwarden plan --date 2026-03-30",
    ),
    "status": CommandHelp(
        "Per endpoint and budget: state, spend and projection today. Observes the API and changes "
        "nothing; before the daemon ever ran it shows the live endpoints and prices, spend not tracked yet.",
        (TOKEN_ENV, API, CONFIG, STATE),
        "hfwarden status --json",
    ),
    "release": CommandHelp(
        "Lift a budget guard's latch on an endpoint: it is exempt from that budget until the budget's next "
        "day. Prints a quote (the budget with and without it) first.",
        (TOKEN_ENV, API, CONFIG, STATE),
        "hfwarden release acme/chat-llama",
    ),
    "hold": CommandHelp(
        "Keep one endpoint in a state until a time (break-glass), above its schedule. --state defaults "
        "to running. Prints what it adds to today's projection.",
        (TOKEN_ENV, API, CONFIG, STATE),
        "hfwarden hold acme/chat-llama --until 2h --reason 'demo at 3'",
    ),
    "holds": CommandHelp(
        "The holds in force, with when each ends (in its endpoint's zone).", (STATE,), "hfwarden holds"
    ),
    "unhold": CommandHelp(
        "Lift a hold now; the schedule's state for this moment is applied by the next pass.",
        (CONFIG, STATE),
        "hfwarden unhold acme/chat-llama",
    ),
    "healthcheck": CommandHelp(
        "Exit 0 if the daemon's /healthz is green, else 1: the container's HEALTHCHECK.",
        ("HFWARDEN_HTTP_HOST, HFWARDEN_HTTP_PORT: where the daemon listens (0.0.0.0 is probed on 127.0.0.1)",),
        "hfwarden healthcheck",
    ),
    "emulator": CommandHelp(
        "Serve a local Inference Endpoints API on loopback that the real huggingface_hub client talks to "
        "(tests, demos, try-outs). Token: hf_emulator_token, every namespace.",
        (),
        "hfwarden emulator --port 8800 --seed deploy/emulator-seed.yaml",
    ),
    "sandbox": CommandHelp(
        "The demo (`make demo`): the daemon against an emulator with demo endpoints, logged live. "
        "--keep leaves both running and prints the environment to export.",
        (),
        "hfwarden sandbox --seconds 60 --keep",
    ),
    "backtest": CommandHelp(
        "Replay a request trace against a schedule and Hugging Face's autoscaling, priced, next to "
        "always-on, autoscale, scale-to-zero and the oracle. Needs no token.",
        (CONFIG,),
        "hfwarden backtest --trace trace.csv --endpoint acme/chat-llama --capacity-rpm 60",
    ),
    "recommend": CommandHelp(
        "Learn a schedule from a trace (or --from-history, from what the daemon recorded) and print it "
        "as a schedule file, with its backtest on held-out weeks on stderr.",
        (CONFIG, STATE + " (with --from-history)"),
        "hfwarden recommend --trace trace.csv --endpoint acme/chat-llama --capacity-rpm 60",
    ),
    "trace": CommandHelp(
        "Request traces: `trace export` writes what a Prometheus query says of requests per minute as a "
        "trace CSV, for backtest and recommend (docs/learning.md).",
        (),
        "hfwarden trace export --prometheus http://prometheus:9090 --query 'sum(rate(requests_total[1m]))*60'",
    ),
    "proposals": CommandHelp(
        "The schedules learnt by `learn:` entries, open and adopted (--all: decided ones too).",
        (STATE,),
        "hfwarden proposals --json",
    ),
    "adopt": CommandHelp(
        "Put a learnt schedule in force for an endpoint in place of the file's; audited and alerted.",
        (CONFIG, STATE),
        "hfwarden adopt acme/chat-llama",
    ),
    "dismiss": CommandHelp(
        "Dismiss the open proposal of an endpoint.", (CONFIG, STATE), "hfwarden dismiss acme/chat-llama"
    ),
    "revert": CommandHelp(
        "Go back to the schedule file's schedule for an endpoint whose learnt schedule was adopted.",
        (CONFIG, STATE),
        "hfwarden revert acme/chat-llama",
    ),
}
