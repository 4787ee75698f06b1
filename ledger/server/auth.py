"""Who may call what: bearer tokens with roles, checked by a server interceptor.

A caller sends ``authorization: Bearer <token>``. The server knows tokens only by their
SHA-256, configured one a line (``LEDGER_TOKENS_FILE``, or ``LEDGER_TOKENS`` with entries
split by newlines or ``;``); blank lines and lines starting with ``#`` are skipped::

    # ROLE    HASH OF THE TOKEN                                                          NAME
    recorder  sha256:9e37209c72f2edab2b0aa05b18c5b4eb10cee9d570bbaf25d54c60ff33a1cf56  importer

``ledger token new --role ROLE`` prints a fresh token and its line. A missing, malformed or
unknown token is ``UNAUTHENTICATED``; a known token whose role does not include the one a
method needs is ``PERMISSION_DENIED``, naming that role. Health checking and reflection stay
open. With no tokens configured the server runs open, which it does only on a loopback address
unless ``LEDGER_ALLOW_OPEN`` says otherwise. Refusals are logged by sample
(``ledger.server.refusal_log``): a few of each kind in full, the rest counted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from ledger.server.errors import abort
from ledger.server.refusal_log import RefusalLog
from ledger.settings import ConfigError, Settings
from ledger.tokens import Role
from ledger_api.ledger.v1 import ledger_pb2

__all__ = [
    "OPEN_SERVICES",
    "Token",
    "Tokens",
    "Refusal",
    "TokenAuth",
    "parse_tokens",
    "load_tokens",
    "is_loopback",
    "server_interceptors",
    "reflection_mode",
]

log = logging.getLogger("ledger.server.auth")

SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["PolicyLedger"].full_name


# Services anyone may call: load balancers probe health, tools discover the API.
OPEN_SERVICES = frozenset(
    {health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME}
)

_METHOD = re.compile(r"^/([^/]+)/([^/]+)$")
_HASH = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_BEARER = re.compile(r"^Bearer +(\S+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """A configured token: its role, the SHA-256 of the token, and a name for messages."""

    role: Role
    digest: bytes
    name: str


def parse_tokens(lines: Iterable[str], where: str, unit: str = "line") -> list[Token]:
    """Tokens from ``ROLE sha256:HEX [NAME]`` lines; a bad line is refused naming ``where``
    and its number (``unit`` 1, 2, ...), as are two lines with the same hash."""
    tokens: list[Token] = []
    seen: dict[bytes, int] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        token = _parse_line(text, f"{where} {unit} {number}")
        if token.digest in seen:
            raise ConfigError(
                f"{where} {unit} {number}: the same hash as {unit} {seen[token.digest]}; "
                "each token gets one line and one role"
            )
        seen[token.digest] = number
        tokens.append(token)
    return tokens


def _parse_line(text: str, where: str) -> Token:
    role, hashed, name = [*text.split(maxsplit=2), "", ""][:3]
    if role not in {r.value for r in Role}:
        roles = ", ".join(Role)
        raise ConfigError(f"{where}: unknown role {role!r} (expected one of {roles})")
    found = _HASH.match(hashed)
    if found is None:
        raise ConfigError(
            f"{where}: expected ROLE sha256:HEX [NAME], with the 64 hex digits of the token's "
            "SHA-256; store the hash, never the token (`ledger token new` prints the line)"
        )
    return Token(Role(role), bytes.fromhex(found.group(1)), name.strip())


def load_tokens(settings: Settings) -> Tokens | None:
    """The configured tokens, or None when there are none (the server would run open)."""
    tokens: list[Token] = []
    if settings.tokens_file is not None:
        path = settings.tokens_file
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"LEDGER_TOKENS_FILE {path}: cannot read it ({error})") from None
        from_file = parse_tokens(text.splitlines(), f"LEDGER_TOKENS_FILE {path}")
        if not from_file:
            raise ConfigError(f"LEDGER_TOKENS_FILE {path} holds no tokens")
        tokens += from_file
    if settings.tokens is not None:
        tokens += parse_tokens(re.split(r"[\n;]", settings.tokens), "LEDGER_TOKENS", "entry")
    if len({token.digest for token in tokens}) < len(tokens):
        raise ConfigError("LEDGER_TOKENS and LEDGER_TOKENS_FILE configure the same token twice")
    return Tokens(tokens) if tokens else None


class Tokens:
    """The configured tokens, each compared in constant time."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tuple(tokens)

    def caller(self, metadata: Iterable[tuple[str, str]]) -> str:
        """Who calls, as the decision log records it: the name of the call's token (its role
        when it has none); empty when it presents no known token."""
        values = [value for key, value in metadata if key == "authorization"]
        found = _BEARER.match(values[0]) if len(values) == 1 else None
        token = None if found is None else self.identify(found.group(1))
        if token is None:
            return ""
        return token.name or f"a {token.role} token"

    def identify(self, presented: str) -> Token | None:
        """The token whose hash is the presented token's. Every configured hash is compared,
        in constant time each, so the time taken tells nothing about which matched."""
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for token in self.tokens:
            if hmac.compare_digest(digest, token.digest):
                found = token
        return found


@dataclass(frozen=True)
class Refusal:
    """Why a call is refused: its status code and message, and in a few words for the log's
    counts, its reason."""

    code: grpc.StatusCode
    message: str
    reason: str = ""

    @property
    def kind(self) -> str:
        """``UNAUTHENTICATED (unknown token)``: what the log counts refusals by."""
        return f"{self.code.name} ({self.reason})" if self.reason else self.code.name


_MISSING = Refusal(
    grpc.StatusCode.UNAUTHENTICATED,
    "this server needs a token: send the metadata `authorization: Bearer <token>` "
    "(the CLI's --token or LEDGER_TOKEN)",
    "no token",
)
_MALFORMED = Refusal(
    grpc.StatusCode.UNAUTHENTICATED,
    "the authorization metadata must be one `Bearer <token>`",
    "malformed authorization",
)
_UNKNOWN = Refusal(
    grpc.StatusCode.UNAUTHENTICATED,
    "the bearer token is not one this server knows",
    "unknown token",
)


class TokenAuth(grpc.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Refuses calls without a known token, or whose token's role is too small.

    ``roles`` names the role each method of the service needs. A method missing from it is
    refused to every token, admin's too: a new RPC stays closed until someone decides who may
    call it."""

    def __init__(
        self,
        tokens: Tokens,
        roles: Mapping[str, Role],
        open_services: frozenset[str] = OPEN_SERVICES,
    ) -> None:
        self.tokens = tokens
        self.roles = roles
        self.open_services = open_services
        self.refusals = RefusalLog(log)
        # The refusals still only counted are summed up when this goes, or the process ends.
        weakref.finalize(self, self.refusals.flush)

    def decide(self, method: str, metadata: Iterable[tuple[str, str]]) -> Refusal | None:
        """None if the call may go ahead; ``method`` is ``/package.Service/Method``."""
        path = _METHOD.match(method)
        service, name = path.groups() if path else ("", "")
        if service in self.open_services:
            return None
        values = [value for key, value in metadata if key == "authorization"]
        if not values:
            return _MISSING
        found = _BEARER.match(values[0]) if len(values) == 1 else None
        if found is None:
            return _MALFORMED
        token = self.tokens.identify(found.group(1))
        if token is None:
            return _UNKNOWN
        needed = (
            self.roles.get(name)
            if service == SERVICE
            else Role.READER
            if service == reflection.SERVICE_NAME  # reflection for token holders
            else None
        )
        if needed is None:
            return Refusal(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{method} is not open to any role",
                "method open to no role",
            )
        if not token.role.includes(needed):
            holder = f"the token {token.name!r}" if token.name else "this token"
            return Refusal(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{name} needs the {needed} role (or admin); {holder} has the {token.role} role",
                "role too small",
            )
        return None

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(details)
        refusal = self.decide(details.method, details.invocation_metadata or ())
        if refusal is None:
            return handler
        self.refusals.refused(refusal.kind, "refused %s: %s", details.method, refusal.message)
        return _refusing(handler, refusal)


def _refusing(handler: grpc.RpcMethodHandler | None, refusal: Refusal) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that refuses the call without decoding it."""

    def refuse(request: object, context: grpc.ServicerContext) -> NoReturn:
        abort(context, refusal.code, refusal.message)

    if handler is None:  # no such method: refused all the same, telling nothing
        return grpc.unary_unary_rpc_method_handler(refuse)
    make = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[(handler.request_streaming, handler.response_streaming)]
    return make(refuse, response_serializer=handler.response_serializer)


def is_loopback(listen: str) -> bool:
    """Whether ``host:port`` binds only this machine (127.0.0.0/8, ::1, localhost)."""
    host = listen.rsplit(":", 1)[0].removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything


def reflection_mode(settings: Settings) -> str:
    """``LEDGER_REFLECTION``, or its default: open on a loopback address, token otherwise."""
    if settings.reflection is not None:
        return settings.reflection
    return "open" if is_loopback(settings.listen) else "token"


def server_interceptors(
    settings: Settings, roles: Mapping[str, Role]
) -> list[grpc.ServerInterceptor]:
    """The token check (``roles``: what each method needs), or nothing when the server may run
    open (and says so, loudly)."""
    tokens = load_tokens(settings)
    # Both ports serve the same service: each must be loopback to run open.
    ports = {"LEDGER_LISTEN": settings.listen, "LEDGER_WEB_LISTEN": settings.web_listen}
    exposed = [(name, at) for name, at in ports.items() if at is not None and not is_loopback(at)]
    loopback = not exposed
    if tokens is not None:
        if not loopback and settings.tls_cert is None:
            log.warning(
                "WARNING: tokens travel in clear text to %s: set LEDGER_TLS_CERT and "
                "LEDGER_TLS_KEY, or put a TLS proxy in front",
                " and ".join(at for _, at in exposed),
            )
        open_services = OPEN_SERVICES
        if reflection_mode(settings) != "open":
            open_services = open_services - {reflection.SERVICE_NAME}
        return [TokenAuth(tokens, roles, open_services)]
    if not loopback and not settings.allow_open:
        name, at = exposed[0]
        raise ConfigError(
            f"{name} {at} is not a loopback address and no tokens are "
            "configured, so anyone who reaches it could rewrite the ledger: configure tokens "
            "(LEDGER_TOKENS_FILE or LEDGER_TOKENS; `ledger token new` makes one), listen on "
            "127.0.0.1, or set LEDGER_ALLOW_OPEN=true to serve it open anyway"
        )
    log.warning(
        "WARNING: no tokens are configured: the server is OPEN, whoever reaches %s may read "
        "and write the ledger (%s); set LEDGER_TOKENS_FILE to require tokens",
        " and ".join(dict.fromkeys(at.rsplit(":", 1)[0] for at in ports.values() if at)),
        "loopback: this machine only" if loopback else "LEDGER_ALLOW_OPEN=true",
    )
    return []
