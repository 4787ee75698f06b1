"""Protobuf messages to plain data and back, driven by the message descriptors.

Plain data is what pydantic models validate and dump: enum values as the lower-case,
hyphenated name without the enum's prefix (``CHANNEL_PERSONAL_BAGGAGE`` is
``personal-baggage``), timestamps as ``datetime``, and fields that were not set left out.
Both the server and the client library convert through here, so the wire and the models
agree by construction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

# Descriptors are typed loosely: the C (upb) and Python implementations differ in type.
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

__all__ = ["to_data", "from_data", "enum_value", "enum_number"]

_TIMESTAMP = "google.protobuf.Timestamp"


@cache
def _prefix(enum: Any) -> str:
    """``AdmissibilityKind`` values start with ``ADMISSIBILITY_KIND_``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_value(enum: Any, number: int) -> str | int | None:
    """The plain form of an enum number; None for UNSPECIFIED, the number if unknown."""
    value = enum.values_by_number.get(number)
    if value is None:
        return number
    name = value.name.removeprefix(_prefix(enum))
    return None if name == "UNSPECIFIED" else name.lower().replace("_", "-")


def enum_number(enum: Any, value: str) -> int:
    """The number of a plain enum value; ValueError listing the known values if unknown."""
    name = _prefix(enum) + str(value).upper().replace("-", "_")
    known = enum.values_by_name.get(name)
    if known is None or known.number == 0:
        choices = ", ".join(str(enum_value(enum, n)) for n in enum.values_by_number if n)
        raise ValueError(f"{value!r} is not one of {choices}")
    number: int = known.number
    return number


def to_data(message: Message) -> dict[str, Any]:
    """The fields that are set, as plain data."""
    data: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.is_repeated:
            if value:
                data[field.name] = [_plain(field, item) for item in value]
        elif field.has_presence:
            if message.HasField(field.name):
                data[field.name] = _plain(field, value)
        elif value != field.default_value:
            plain = _plain(field, value)
            if plain is not None:
                data[field.name] = plain
    return data


def _plain(field: Any, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == _TIMESTAMP:
            return value.ToDatetime(tzinfo=UTC)
        return to_data(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_value(field.enum_type, value)
    return value


def from_data(data: dict[str, Any], message: Message) -> Message:
    """Fill ``message`` from plain data (as ``model_dump(mode="json")`` gives it).

    Keys the message has no field for are left out: a model may carry more than the wire.
    """
    fields: dict[str, Any] = dict(message.DESCRIPTOR.fields_by_name)
    for key, value in data.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        if field.is_repeated:
            target = getattr(message, key)
            for number, item in enumerate(value):
                try:
                    if field.type == FieldDescriptor.TYPE_MESSAGE:
                        from_data(item, target.add())
                    else:
                        target.append(_wire(field, item))
                except (ValueError, TypeError) as error:
                    raise ValueError(f"{key}[{number}].{error}") from None
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            target = getattr(message, key)
            if field.message_type.full_name == _TIMESTAMP:
                target.FromDatetime(_as_datetime(value))
            else:
                target.SetInParent()
                try:
                    from_data(value, target)
                except ValueError as error:
                    raise ValueError(f"{key}.{error}") from None
        else:
            try:
                setattr(message, key, _wire(field, value))
            except (ValueError, TypeError) as error:
                raise ValueError(f"{key}: {error}") from None
    return message


def _wire(field: Any, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_number(field.enum_type, value)
    if field.type == FieldDescriptor.TYPE_STRING:
        return str(value)
    return value


def _as_datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
