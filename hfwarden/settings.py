"""Process settings from the environment (and secret files). Secrets stay `SecretStr`: never in repr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from platformdirs import user_state_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REAL_ENDPOINTS_API = "https://api.endpoints.huggingface.cloud/v2"
REAL_HUB = "https://huggingface.co"


def default_state_dir() -> Path:
    """The per-user state directory: `$XDG_STATE_HOME/hfwarden`, by default `~/.local/state/hfwarden`."""
    return Path(user_state_dir("hfwarden"))


class SettingsError(ValueError):
    """Settings that cannot work; the message names the variable and never its secret value."""


def secret_from_file(variable: str, path: Path) -> SecretStr:
    """A mounted secret: the file's content without surrounding whitespace; an error names the
    variable and the file, never the content."""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise SettingsError(f"{variable} {path}: {exc.strerror or exc}") from None
    if not token:
        raise SettingsError(f"{variable} {path} is empty")
    return SecretStr(token)


class Settings(BaseSettings):
    """Everything the process reads from its environment. Field names are what the code uses; the
    variable names are in each field's alias."""

    model_config = SettingsConfigDict(env_prefix="HFWARDEN_", extra="ignore", populate_by_name=True)

    hf_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("HF_TOKEN", "hf_token"))
    hf_token_file: Path | None = Field(default=None, validation_alias=AliasChoices("HF_TOKEN_FILE", "hf_token_file"))
    config: Path = Path("schedules")
    # Absolute, per user: a relative default put a fresh, empty database wherever a command was run from.
    state_dir: Path = Field(default_factory=default_state_dir)
    state_url: str | None = None
    tick_seconds: float = Field(default=30.0, gt=0)
    follow_up_seconds: float = Field(default=5.0, gt=0)
    dry_run: bool = False
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    endpoints_api_url: str = REAL_ENDPOINTS_API
    hub_url: str = REAL_HUB
    http_timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    max_concurrency: int = Field(default=32, ge=1, le=64)
    reload_poll_seconds: float = Field(default=5.0, gt=0)
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=9090, ge=0, le=65535)
    health_stale_seconds: float | None = Field(default=None, gt=0)
    lease_seconds: float | None = Field(default=None, gt=0)
    # `run --once` waits at most this long for its alerts to be taken by their sinks.
    once_delivery_seconds: float = Field(default=30.0, ge=0)
    # The status page and /api/v1 need this token (bearer, or basic auth password) when set.
    ui_token: SecretStr | None = None
    ui_token_file: Path | None = None
    # People in the loop (docs/people-in-the-loop.md): where links point, what signs them, Slack's secret.
    public_url: str | None = Field(default=None, pattern=r"^https?://")
    action_secret: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None

    @property
    def lease_ttl_seconds(self) -> float:
        """How long the lease outlives its holder's last pass before another process may take over."""
        if self.lease_seconds is not None:
            return self.lease_seconds
        return max(3 * self.tick_seconds, 60.0)

    @property
    def stale_after_seconds(self) -> float:
        """How long without a completed pass before /healthz turns red."""
        if self.health_stale_seconds is not None:
            return self.health_stale_seconds
        return max(3 * self.tick_seconds, 120.0)

    @field_validator("endpoints_api_url", "hub_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _token_from_file(self) -> Settings:
        if self.hf_token is None and self.hf_token_file is not None:
            self.hf_token = secret_from_file("HF_TOKEN_FILE", self.hf_token_file)
        return self

    @model_validator(mode="after")
    def _ui_token_from_file(self) -> Settings:
        if self.ui_token is None and self.ui_token_file is not None:
            self.ui_token = secret_from_file("HFWARDEN_UI_TOKEN_FILE", self.ui_token_file)
        return self

    def ui_token_value(self) -> str | None:
        """The token the page and /api/v1 require; None when neither variable is set (the page is open)."""
        return self.ui_token.get_secret_value() if self.ui_token and self.ui_token.get_secret_value() else None

    @property
    def database_url(self) -> str:
        """`HFWARDEN_STATE_URL`, or a SQLite file under the state directory (`$XDG_STATE_HOME/hfwarden` by default)."""
        if self.state_url:
            return self.state_url
        return f"sqlite:///{(self.state_dir / 'hfwarden.db').absolute()}"

    @property
    def state_exists(self) -> bool:
        """A state store is there to read: any configured URL, or the default SQLite file."""
        return bool(self.state_url) or (self.state_dir / "hfwarden.db").exists()

    @property
    def effective_log_format(self) -> Literal["json", "console"]:
        """Console on a terminal, JSON anywhere else (containers, files, pipes)."""
        if self.log_format is not None:
            return self.log_format
        return "console" if sys.stderr.isatty() else "json"

    def token(self) -> str:
        """The token for Hub calls; an error that says which variable to set, never a value."""
        if self.hf_token is None or not self.hf_token.get_secret_value():
            raise SettingsError("no token: set HF_TOKEN or HF_TOKEN_FILE")
        return self.hf_token.get_secret_value()

    def secrets(self) -> list[str]:
        """Values the log masker must never let through."""
        found = [self.hf_token.get_secret_value()] if self.hf_token else []
        others = (self.ui_token, self.action_secret, self.slack_signing_secret)
        return found + [secret.get_secret_value() for secret in others if secret and secret.get_secret_value()]

    def action_secret_value(self) -> str | None:
        """The key that signs snooze and approval links; None when unset (notices then carry no links)."""
        return (self.action_secret.get_secret_value() if self.action_secret else "") or None

    def slack_secret_value(self) -> str | None:
        """The Slack app's signing secret; None when unset (no buttons, `/slack/actions` answers 404)."""
        return (self.slack_signing_secret.get_secret_value() if self.slack_signing_secret else "") or None
