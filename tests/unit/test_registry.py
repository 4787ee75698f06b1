"""The one list of commands, the servicer's tables and the proto agree: every command of the
proto is in the registry (by verb and by RPC), and every method of the service is served."""

from __future__ import annotations

import pytest

from ledger.application.commands import BY_RPC, BY_VERB, COMMANDS, CommandType
from ledger.bootstrap import Ledger
from ledger.domain import events
from ledger.domain.events import EVENTS, OfficeEvent, PolicyChanged
from ledger.server.queries import QUERIES
from ledger.server.servicer import ROLES, SERVICE, PolicyLedgerServicer
from ledger_api.ledger.v1 import ledger_pb2 as pb

COMMAND_ONEOF = pb.Command.DESCRIPTOR.oneofs_by_name["command"]


class TestTheCommandRegistry:
    def test_every_command_of_the_proto_has_an_entry_with_its_verb_and_rpc(self) -> None:
        found = {}
        for field in COMMAND_ONEOF.fields:
            [method] = [m for m in SERVICE.methods if m.input_type is field.message_type]
            found[field.name] = method.name
        assert len(found) >= 6
        assert found == {command.verb: command.rpc for command in COMMANDS}

    def test_verbs_and_rpcs_are_unique(self) -> None:
        assert len(BY_VERB) == len(BY_RPC) == len(COMMANDS)

    @pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.verb)
    def test_a_nested_field_of_the_registry_is_a_field_of_the_request(
        self, command: CommandType
    ) -> None:
        request = SERVICE.methods_by_name[command.rpc].input_type
        if command.nested is not None:
            assert command.nested in request.fields_by_name
            nested = request.fields_by_name[command.nested].message_type
            assert command.field_path("scope.goods") == f"{command.nested}.scope.goods"
            assert "scope" in nested.fields_by_name
        else:
            assert command.field_path("office") == "office"


class TestTheServicer:
    def test_every_method_is_served_and_has_a_role(self, ledger: Ledger) -> None:
        servicer = PolicyLedgerServicer(ledger)
        handler = servicer.handler()
        for method in SERVICE.methods:
            details = type("Details", (), {"method": f"/{SERVICE.full_name}/{method.name}"})()
            assert handler.service(details) is not None, method.name
        assert {method.name for method in SERVICE.methods} == ROLES.keys()

    def test_commands_and_questions_come_from_their_tables(self) -> None:
        assert BY_RPC.keys() <= ROLES.keys()
        assert QUERIES.keys() <= ROLES.keys()
        assert not BY_RPC.keys() & QUERIES.keys()


def test_every_event_class_is_registered_under_its_name() -> None:
    """The export, the audits and the history learn event types from ``EVENTS``: one the
    registry forgets would be stored but unreadable to them."""
    defined = {
        value
        for value in vars(events).values()
        if isinstance(value, type)
        and issubclass(value, OfficeEvent)
        and value not in (OfficeEvent, PolicyChanged)
    }
    assert len(defined) >= 6
    assert set(EVENTS.values()) == defined
    assert all(name == event.__name__ for name, event in EVENTS.items())
