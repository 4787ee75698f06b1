"""Protobuf messages to plain data and back, driven by the message descriptors.

Plain data is what pydantic models validate and dump: enum values as the lower-case,
hyphenated name without the enum's prefix (``CHANNEL_PERSONAL_BAGGAGE`` is
``personal-baggage``), timestamps as ``datetime``, and fields that were not set left out.
Both the server and the client library convert through here, so the wire and the models
agree by construction.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

# Descriptors are typed loosely: the C (upb) and Python implementations differ in type.
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

if TYPE_CHECKING:  # the models are the caller's; converting needs no pydantic
    from pydantic import BaseModel

M = TypeVar("M", bound=Message)

__all__ = ["to_data", "from_data", "from_model", "Shared", "enum_value"]

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


# How each field of a message type is written, worked out once per type: replies are built on
# every call, and walking the descriptors each time was half the cost of a check.
_MESSAGE, _TIMESTAMP_FIELD, _ENUM, _STRING, _SCALAR = range(5)
# One plan per message type of the API: as many as the proto has, so nothing to bound.
_PLANS: dict[str, dict[str, tuple[bool, int, Any]]] = {}


def _plan(descriptor: Any) -> dict[str, tuple[bool, int, Any]]:
    """Field name → (repeated, kind, enum numbers by plain value)."""
    plan = _PLANS.get(descriptor.full_name)
    if plan is None:
        plan = {}
        for field in descriptor.fields:
            numbers = None
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                timestamp = field.message_type.full_name == _TIMESTAMP
                kind = _TIMESTAMP_FIELD if timestamp else _MESSAGE
            elif field.type == FieldDescriptor.TYPE_ENUM:
                kind = _ENUM
                numbers = {
                    enum_value(field.enum_type, number): number
                    for number in field.enum_type.values_by_number
                    if number
                }
            elif field.type == FieldDescriptor.TYPE_STRING:
                kind = _STRING
            else:
                kind = _SCALAR
            plan[field.name] = (field.is_repeated, kind, numbers)
        _PLANS[descriptor.full_name] = plan
    return plan


def from_data(data: dict[str, Any], message: Message) -> Message:
    """Fill ``message`` from plain data (as ``model_dump(mode="json")`` gives it).

    Keys the message has no field for are left out: a model may carry more than the wire.
    """
    plan = _plan(message.DESCRIPTOR)
    for key, value in data.items():
        how = plan.get(key)
        if how is None or value is None:
            continue
        repeated, kind, numbers = how
        if repeated:
            target = getattr(message, key)
            for number, item in enumerate(value):
                try:
                    if kind == _MESSAGE:
                        from_data(item, target.add())
                    else:
                        target.append(_wire(kind, numbers, item))
                except (ValueError, TypeError) as error:
                    raise ValueError(f"{key}[{number}].{error}") from None
        elif kind == _MESSAGE:
            target = getattr(message, key)
            target.SetInParent()
            try:
                from_data(value, target)
            except ValueError as error:
                raise ValueError(f"{key}.{error}") from None
        elif kind == _TIMESTAMP_FIELD:
            getattr(message, key).FromDatetime(_as_datetime(value))
        else:
            try:
                setattr(message, key, _wire(kind, numbers, value))
            except (ValueError, TypeError) as error:
                raise ValueError(
                    f"{key}: {_expected(getattr(message, key), value, error)}"
                ) from None
    return message


def _expected(default: Any, value: Any, error: Exception) -> str:
    """What a scalar field takes, in words (its default's type says which it is), rather
    than protobuf's "'str' object cannot be interpreted as an integer"."""
    if isinstance(default, bool):
        return f"{value!r} is not true or false: expected true or false"
    if isinstance(default, int):
        return f"{value!r} is not a whole number: expected digits, e.g. 2"
    if isinstance(default, float):
        return f"{value!r} is not a number: expected digits, e.g. 2.5"
    return str(error)


class Shared:
    """Sub-messages built from shared models, by the model's identity (the model is kept with
    its message, so the identity cannot be reused while the entry lives). A check's rulings and
    sources recur in answer after answer: each is converted once, then copied in C. At most
    ``size`` are kept, the oldest forgotten first (a hit costs nothing to keep)."""

    def __init__(self, types: tuple[type[BaseModel], ...], size: int = 10_000) -> None:
        self.types = types
        self.size = size
        self._built: dict[int, tuple[BaseModel, Message]] = {}

    def copy_into(self, model: BaseModel, target: Message) -> None:
        """Fill ``target`` with ``model``'s message, converting it on first use."""
        target.CopyFrom(self._message(model, type(target)))

    def byte_size(self, model: BaseModel, message_type: type[Message]) -> int:
        """The serialised size of ``model``'s message, converting it on first use."""
        return self._message(model, message_type).ByteSize()

    def _message(self, model: BaseModel, message_type: type[Message]) -> Message:
        key = id(model)
        built = self._built.get(key)
        if built is None or built[0] is not model:
            if key not in self._built and len(self._built) >= self.size:
                # The oldest; another thread may drop it first (or add meanwhile).
                with suppress(KeyError, RuntimeError, StopIteration):
                    del self._built[next(iter(self._built))]
            built = self._built[key] = (model, from_model(model, message_type(), self))
        return built[1]


def from_model(model: BaseModel, message: M, shared: Shared | None = None) -> M:
    """Fill ``message`` from a model's attributes: ``from_data`` without dumping the model
    first. Sub-models of the ``shared`` types (immutable, and reused from answer to answer)
    are converted once and copied afterwards."""
    plan = _plan(message.DESCRIPTOR)
    for key, (repeated, kind, numbers) in plan.items():
        value = getattr(model, key, None)
        if value is None:
            continue
        if repeated:
            target = getattr(message, key)
            if kind == _MESSAGE:
                for item in value:
                    _sub_message(item, target.add(), shared)
            else:
                target.extend(_wire(kind, numbers, _text(item)) for item in value)
        elif kind == _MESSAGE:
            _sub_message(value, getattr(message, key), shared)
        elif kind == _TIMESTAMP_FIELD:
            getattr(message, key).FromDatetime(value)
        else:
            setattr(message, key, _wire(kind, numbers, _text(value)))
    return message


def _sub_message(model: BaseModel, target: Message, shared: Shared | None) -> None:
    if shared is not None and isinstance(model, shared.types):
        shared.copy_into(model, target)
        return
    target.SetInParent()
    from_model(model, target, shared)


def _text(value: Any) -> Any:
    """Dates, times, ids and decimals travel as text, as in ``model_dump(mode="json")``."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value


def _wire(kind: int, numbers: dict[Any, int] | None, value: Any) -> Any:
    if kind == _ENUM:
        assert numbers is not None
        number = numbers.get(str(value).lower().replace("_", "-"))
        if number is None:
            raise ValueError(f"{value!r} is not one of {', '.join(map(str, numbers))}")
        return number
    if kind == _STRING:
        return str(value)
    return value


def _as_datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
