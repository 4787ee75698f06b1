"""Helpers for the token and TLS tests: tokens made as a user would, and servers that must
refuse to start.

Like ``support``, nothing here imports the server: a token's line is computed from the
documented format, and refusals are read from the process's exit status and standard error.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
from pathlib import Path

from tests.e2e.support import EXAMPLE, LEDGER, REPO

__all__ = ["cli_token", "hashed_line", "refused_start"]

REFUSAL_SECONDS = 30.0


def cli_token(role: str, name: str = "") -> tuple[str, str]:
    """A new token and its tokens-file line, from ``ledger token new --json``."""
    command = [LEDGER, "token", "new", "--role", role, "--json"] + (
        ["--name", name] if name else []
    )
    made = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return str(made["token"]), str(made["line"])


def hashed_line(role: str) -> tuple[str, str]:
    """A new token and its line, made by hand from the documented format."""
    token = secrets.token_urlsafe(32)
    return token, f"{role} sha256:{hashlib.sha256(token.encode()).hexdigest()}"


def refused_start(folder: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run ``ledger serve`` with ``env``, expecting it to refuse: (exit status, stderr).

    A server that starts instead is stopped by the timeout, which fails the test."""
    folder.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [LEDGER, "serve", "--example", str(EXAMPLE)],
        cwd=REPO,
        env={
            **os.environ,
            "LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite'}",
            "LEDGER_LISTEN": "127.0.0.1:0",
            "COLUMNS": "1000",
            "NO_COLOR": "1",
            **env,
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=REFUSAL_SECONDS,
    )
    return completed.returncode, completed.stderr
