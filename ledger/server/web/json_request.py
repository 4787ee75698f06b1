"""Connect's JSON requests, read strictly and refused in the ledger's words.

google.protobuf's JSON parser would drop a field the request does not have (a misspelt
``"ofice"``: the question answered without it) unless told not to, and then words its
refusals for programmers (``Failed to parse office field: expected string or bytes-like
object, got 'int'``). Before it parses, the request's JSON is walked along the message's
descriptor: every field the message lacks and every value of the wrong kind is named by its
path, with what is accepted and an example, as ``INVALID_ARGUMENT`` with a
``google.rpc.BadRequest`` detail — the form of every other refusal of the ledger.
"""

from __future__ import annotations

import json
import re
from typing import Any

from connectrpc.code import Code
from connectrpc.compat._codec import ProtoJSONCodec  # the library's JSON codec, made strict
from connectrpc.errors import ConnectError, ErrorDetail
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.rpc import error_details_pb2
from protobuf.wkt import Any as DetailAny

__all__ = ["StrictJson", "problems"]

_F = FieldDescriptor
_INTEGERS = {
    _F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_UINT32, _F.TYPE_UINT64, _F.TYPE_SINT32,
    _F.TYPE_SINT64, _F.TYPE_FIXED32, _F.TYPE_FIXED64, _F.TYPE_SFIXED32, _F.TYPE_SFIXED64,
}  # fmt: skip
_WHOLE = re.compile(r"-?[0-9]+", re.ASCII)
_KINDS = {list: "a list", dict: "an object", str: "text", int: "a number", float: "a number",
          bool: "true or false", type(None): "null"}  # fmt: skip
_EXAMPLE = '{"office": "CN-DANDONG"}'


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "that")


def _expected(field: FieldDescriptor) -> str | None:
    """What ``field`` accepts, in words with an example; None: any JSON (well-known types)."""
    kind = field.type
    if kind == _F.TYPE_STRING:
        return "text, in double quotes"
    if kind in _INTEGERS:
        return 'a whole number, e.g. 3 or "3"'
    if kind in (_F.TYPE_FLOAT, _F.TYPE_DOUBLE):
        return "a number, e.g. 2.5"
    if kind == _F.TYPE_BOOL:
        return "true or false"
    if kind == _F.TYPE_BYTES:
        return "base64 text"
    if kind == _F.TYPE_ENUM and field.enum_type is not None:
        names = [value.name for value in field.enum_type.values]
        return f"one of {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}"
    return None


def _fits(field: FieldDescriptor, value: object) -> bool:
    kind = field.type
    if kind in (_F.TYPE_STRING, _F.TYPE_BYTES):
        return isinstance(value, str)
    if kind in _INTEGERS:
        integral = isinstance(value, float) and value.is_integer()
        return (
            (isinstance(value, int) and not isinstance(value, bool))
            or integral
            or (isinstance(value, str) and _WHOLE.fullmatch(value) is not None)
        )
    if kind in (_F.TYPE_FLOAT, _F.TYPE_DOUBLE):
        return isinstance(value, int | float | str) and not isinstance(value, bool)
    if kind == _F.TYPE_BOOL:
        return isinstance(value, bool)
    if kind == _F.TYPE_ENUM and field.enum_type is not None:
        if isinstance(value, int) and not isinstance(value, bool):
            return True
        return isinstance(value, str) and value in field.enum_type.values_by_name
    return True


def problems(data: object, message: Descriptor, path: str = "") -> list[tuple[str, str]]:
    """Each (field path, what is wrong) of ``data`` as a ``message``, in the order met."""
    if not isinstance(data, dict):
        said = f"expected an object of fields, not {_kind(data)}"
        return [(path, f"{said}, e.g. {_EXAMPLE}" if not path else said)]
    found: list[tuple[str, str]] = []
    for key, value in data.items():
        field = message.fields_by_camelcase_name.get(key) or message.fields_by_name.get(key)
        at = f"{path}.{key}" if path else key
        if field is None:
            names = ", ".join(f.json_name for f in message.fields)
            found.append((at, f'there is no field "{key}" here: the fields are {names}'))
            continue
        at = f"{path}.{field.name}" if path else field.name
        if value is None:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue  # the parser's own checks suffice
        if field.is_repeated:
            if not isinstance(value, list):
                found.append((at, f"expected a list, not {_kind(value)}"))
                continue
            for index, item in enumerate(value):
                found += _value(field, item, f"{at}[{index}]")
        else:
            found += _value(field, value, at)
    return found


def _value(field: FieldDescriptor, value: object, at: str) -> list[tuple[str, str]]:
    inner = field.message_type
    if inner is not None:
        if inner.full_name.startswith("google.protobuf."):
            return []  # well-known types have JSON forms of their own: the parser checks them
        return problems(value, inner, at)
    expected = _expected(field)
    if expected is None or _fits(field, value):
        return []
    return [(at, f"expected {expected}, not {json.dumps(value)[:60]}")]


def _refusal(found: list[tuple[str, str]]) -> ConnectError:
    bad = error_details_pb2.BadRequest(
        field_violations=[{"field": at, "description": said} for at, said in found]
    )
    detail = DetailAny(
        type_url="type.googleapis.com/google.rpc.BadRequest", value=bad.SerializeToString()
    )
    message = "; ".join(f"{at or 'the request'}: {said}" for at, said in found)
    return ConnectError(Code.INVALID_ARGUMENT, message, [ErrorDetail(detail)])


class StrictJson(ProtoJSONCodec):  # type: ignore[type-arg]
    """The library's JSON codec, refusing what is not the request (``problems``) in words."""

    def __init__(self) -> None:
        super().__init__(ignore_unknown_fields=False)

    def decode(self, data: bytes | bytearray, message_class: type[Any]) -> Any:
        try:
            fields = json.loads(data)
        except ValueError as error:
            raise ConnectError(
                Code.INVALID_ARGUMENT, f"the request is not JSON ({error}), e.g. {_EXAMPLE}"
            ) from None
        found = problems(fields, message_class.DESCRIPTOR)
        if found:
            raise _refusal(found)
        message = message_class()
        try:
            json_format.ParseDict(fields, message, ignore_unknown_fields=False)
        except json_format.ParseError as error:  # what the walk does not check (a timestamp)
            raise ConnectError(Code.INVALID_ARGUMENT, f"the request's JSON: {error}") from None
        return message
