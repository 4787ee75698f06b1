"""Configuration: one settings object, read from ``LEDGER_*`` environment variables at the edge."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "ConfigError"]

# HOST:PORT, with an IPv6 host in brackets.
_ADDRESS = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):([0-9]{1,5})", re.ASCII)


class ConfigError(RuntimeError):
    """Settings that cannot be used as they are: the server refuses to start, saying why."""


class Settings(BaseSettings):
    """Where the ledger keeps its data, and how its server runs.

    ``LEDGER_DATABASE_URL`` is ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or
    ``memory://`` (nothing persisted; for tests and experiments).
    """

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = Field(default="sqlite:///var/ledger.sqlite")
    listen: str = Field(default="127.0.0.1:50051", description="host:port the server binds")
    web_listen: str | None = Field(
        default=None,
        description="host:port of the HTTP port (the API over Connect and gRPC-Web, and the web "
        "console); default: none, gRPC only",
    )
    share_port: bool = Field(
        default=False,
        description="let several servers on one database serve the same port(s), each taking "
        "some of the connections (SO_REUSEPORT); default: a taken port is refused",
    )
    workers: int = Field(default=16, ge=2, le=256, description="threads serving calls")
    max_watches: int | None = Field(
        default=None, ge=1, description="open watches at most; default: half the workers"
    )
    grace_seconds: float = Field(default=10.0, ge=0, description="time in-flight calls get on stop")

    # Limits: no caller, with a token or without, holds every worker or does unbounded work.
    max_calls: int | None = Field(
        default=None, ge=1, description="calls in progress or queued at most; default: 8 a worker"
    )
    max_waiters: int | None = Field(
        default=None,
        ge=1,
        description="calls waiting at once for a min_position; default: a quarter of the workers",
    )
    max_wait_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="longest any call waits, whatever its deadline"
    )
    max_imports: int = Field(default=2, ge=1, description="ImportCommands streams at once")
    max_open_streams: int = Field(
        default=2,
        ge=1,
        description="reflection streams, and health watches, at once each (they need no token)",
    )
    stream_idle_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="a client stream (import, reflection) that sends nothing this long is ended",
    )
    max_lookups: int = Field(
        default=20_000,
        ge=1,
        description="rule lookups one check or comparison may ask for: offices x items x the HS "
        "prefixes of each item's goods",
    )
    reflection: Literal["open", "token", "off"] | None = Field(
        default=None,
        description="server reflection: open to anyone, for token holders, or off; default: open "
        "on a loopback address, token otherwise",
    )
    example: str | None = Field(
        default=None, description="a JSONL file imported when the server starts on an empty ledger"
    )

    tokens_file: Path | None = Field(
        default=None, description="bearer tokens: one `ROLE sha256:HEX [NAME]` a line"
    )
    tokens: str | None = Field(
        default=None, description="bearer tokens as in the file, entries split by newlines or ;"
    )
    allow_open: bool = Field(
        default=False, description="serve with no tokens on an address that is not loopback"
    )
    tls_cert: Path | None = Field(default=None, description="the server's certificate (PEM)")
    tls_key: Path | None = Field(default=None, description="the server certificate's key (PEM)")
    tls_client_ca: Path | None = Field(
        default=None, description="CA certificates (PEM): clients must present a certificate"
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="the key (`ledger key new`) that signs a checkpoint after each write",
    )

    pool_size: int = Field(default=5, ge=1, le=100, description="PostgreSQL connections kept")
    max_overflow: int = Field(default=10, ge=0, le=100, description="extra connections at peaks")
    connect_timeout: int = Field(default=5, ge=1, description="seconds to connect to PostgreSQL")
    lock_timeout: int = Field(default=5, ge=0, description="seconds a write waits for the lock")
    index_revisions: int = Field(
        default=2_000_000,
        ge=1,
        description="rule revisions kept in memory at most; the offices asked about least "
        "recently are dropped first and read again when needed",
    )

    # The server's date, against which rules take effect (ListUpcoming's default first date,
    # WatchEffective's notices): today's UTC date, unless fixed, or read from a file at each
    # look, so that a test moves the clock without restarting the server. Not both.
    today: date | None = Field(
        default=None, description="the server's date, fixed: YYYY-MM-DD; default: today (UTC)"
    )
    today_file: Path | None = Field(
        default=None,
        description="a file holding the server's date (YYYY-MM-DD), read again at each look",
    )

    # The decision log: which checks and comparisons are logged (none; those that ask, with
    # log: true; every one), and how many logged decisions one impact may answer again.
    decision_log: Literal["off", "requested", "all"] = Field(
        default="requested",
        description="log checks and comparisons: off, requested (those asking log: true), all",
    )
    decision_wait_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="seconds a logged check waits for its decision to be stored at most",
    )
    max_impact_candidates: int = Field(
        default=100_000,
        ge=1,
        description="logged decisions one event's impact may answer again at most",
    )

    @field_validator("web_listen", mode="before")
    @classmethod
    def _web_listen_is_an_address(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        found = _ADDRESS.fullmatch(value.strip())
        if found is None or int(found.group(2)) > 65535:
            raise ValueError(
                f"{value!r} is not an address to serve on: expected HOST:PORT, the port 0 (any "
                "free one) to 65535, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080"
            )
        return value.strip()

    @field_validator("today", mode="before")
    @classmethod
    def _today_is_a_day(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise ValueError(f"{value!r} is not a date: expected YYYY-MM-DD, e.g. 2025-06-01")

    @field_validator("today_file", mode="before")
    @classmethod
    def _today_once(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if value is not None and info.data.get("today") is not None:
            raise ValueError(
                "LEDGER_TODAY fixes the server's date and LEDGER_TODAY_FILE reads it from a "
                "file: give one of them"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if url == "memory://" or (url.startswith("sqlite:///") and len(url) > len("sqlite:///")):
            return url
        if url.startswith(("postgresql://", "postgres://")):
            parts = urlsplit(url)
            if not (parts.hostname and parts.username and parts.path.strip("/")):
                raise ValueError(
                    f"LEDGER_DATABASE_URL {_redacted(url)!r}: a PostgreSQL URL names a user, a "
                    "host and a database: postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
                )
            return url
        raise ValueError(
            f"LEDGER_DATABASE_URL {_redacted(url)!r} is not supported: use sqlite:///PATH, "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE or memory://"
        )

    @field_validator(
        "tokens_file",
        "tokens",
        "tls_cert",
        "tls_key",
        "tls_client_ca",
        "signing_key_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``LEDGER_TLS_CERT=`` (set, but empty) means no certificate, not the current folder."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def safe_database_url(self) -> str:
        """The database URL without its password, for logs."""
        return _redacted(self.database_url)

    @property
    def watch_limit(self) -> int:
        """Each open watch holds a worker thread: leave at least half for every other call."""
        return min(self.max_watches or self.workers // 2, self.workers - 1)

    @property
    def call_limit(self) -> int:
        return self.max_calls or self.workers * 8

    @property
    def waiter_limit(self) -> int:
        return self.max_waiters or max(1, self.workers // 4)

    @property
    def long_call_limit(self) -> int:
        """Calls that may hold a worker for long (watches, waits, streams) at once, together:
        the rest, a quarter of the workers and at least one, stay free for quick calls."""
        return self.workers - max(1, self.workers // 4)

    def database(self) -> tuple[str, dict[str, str]]:
        """The backend (``memory``, ``sqlite``, ``postgres``) and the ``eventsourcing`` settings
        of its database (the library takes no URLs); ``ledger.storage`` picks the factory."""
        if self.database_url == "memory://":
            return "memory", {}
        if self.database_url.startswith(("postgresql://", "postgres://")):
            parts = urlsplit(self.database_url)
            schema = parse_qs(parts.query).get("schema", [""])[0]
            return "postgres", {
                "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
                "POSTGRES_HOST": parts.hostname or "",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or ""),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                "POSTGRES_SCHEMA": schema,
                "POSTGRES_POOL_SIZE": str(self.pool_size),
                "POSTGRES_MAX_OVERFLOW": str(self.max_overflow),
                "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
                "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            }
        path = Path(self.database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return "sqlite", {"SQLITE_DBNAME": str(path)}


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
