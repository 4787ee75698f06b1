import datetime
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union
DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_OUTBOUND: _ClassVar[Direction]
    DIRECTION_INBOUND: _ClassVar[Direction]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_PERSONAL_BAGGAGE: _ClassVar[Channel]
    CHANNEL_CARGO_ROAD: _ClassVar[Channel]
    CHANNEL_CARGO_RAIL: _ClassVar[Channel]
    CHANNEL_CARGO_SEA: _ClassVar[Channel]
    CHANNEL_CARGO_AIR: _ClassVar[Channel]
    CHANNEL_POSTAL: _ClassVar[Channel]

class Traveller(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAVELLER_UNSPECIFIED: _ClassVar[Traveller]
    TRAVELLER_ANY: _ClassVar[Traveller]
    TRAVELLER_WORKER: _ClassVar[Traveller]
    TRAVELLER_VISITOR: _ClassVar[Traveller]
    TRAVELLER_TRADER: _ClassVar[Traveller]
    TRAVELLER_OFFICIAL: _ClassVar[Traveller]
    TRAVELLER_RESIDENT: _ClassVar[Traveller]
    TRAVELLER_DRIVER: _ClassVar[Traveller]
    TRAVELLER_CREW: _ClassVar[Traveller]

class Dimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIMENSION_UNSPECIFIED: _ClassVar[Dimension]
    DIMENSION_ADMISSIBILITY: _ClassVar[Dimension]
    DIMENSION_INSPECTION: _ClassVar[Dimension]
    DIMENSION_ENFORCEMENT: _ClassVar[Dimension]

class Inspection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSPECTION_UNSPECIFIED: _ClassVar[Inspection]
    INSPECTION_NONE: _ClassVar[Inspection]
    INSPECTION_LIGHT: _ClassVar[Inspection]
    INSPECTION_STANDARD: _ClassVar[Inspection]
    INSPECTION_THOROUGH: _ClassVar[Inspection]
    INSPECTION_RIGOROUS: _ClassVar[Inspection]

class Enforcement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENFORCEMENT_UNSPECIFIED: _ClassVar[Enforcement]
    ENFORCEMENT_NONE: _ClassVar[Enforcement]
    ENFORCEMENT_REFUSAL: _ClassVar[Enforcement]
    ENFORCEMENT_CONFISCATION: _ClassVar[Enforcement]
    ENFORCEMENT_FINE: _ClassVar[Enforcement]
    ENFORCEMENT_DETENTION: _ClassVar[Enforcement]

class AdmissibilityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADMISSIBILITY_KIND_UNSPECIFIED: _ClassVar[AdmissibilityKind]
    ADMISSIBILITY_KIND_PROHIBITED: _ClassVar[AdmissibilityKind]
    ADMISSIBILITY_KIND_QUANTITY_LIMIT: _ClassVar[AdmissibilityKind]
    ADMISSIBILITY_KIND_VALUE_LIMIT: _ClassVar[AdmissibilityKind]
    ADMISSIBILITY_KIND_ALLOWED: _ClassVar[AdmissibilityKind]

class Precision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRECISION_UNSPECIFIED: _ClassVar[Precision]
    PRECISION_DAY: _ClassVar[Precision]
    PRECISION_EARLY_MONTH: _ClassVar[Precision]
    PRECISION_MID_MONTH: _ClassVar[Precision]
    PRECISION_LATE_MONTH: _ClassVar[Precision]
    PRECISION_MONTH: _ClassVar[Precision]
    PRECISION_QUARTER: _ClassVar[Precision]
    PRECISION_YEAR: _ClassVar[Precision]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_OBSERVED: _ClassVar[ChangeKind]
    CHANGE_KIND_TIGHTENED: _ClassVar[ChangeKind]
    CHANGE_KIND_LOOSENED: _ClassVar[ChangeKind]

class Basis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BASIS_UNSPECIFIED: _ClassVar[Basis]
    BASIS_RECORDED: _ClassVar[Basis]
    BASIS_REPORTED: _ClassVar[Basis]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_ALLOWED: _ClassVar[Verdict]
    VERDICT_LIMIT_EXCEEDED: _ClassVar[Verdict]
    VERDICT_PROHIBITED: _ClassVar[Verdict]
    VERDICT_UNCERTAIN: _ClassVar[Verdict]
    VERDICT_NO_RULE: _ClassVar[Verdict]

class CrossingMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CROSSING_MODE_UNSPECIFIED: _ClassVar[CrossingMode]
    CROSSING_MODE_ROAD: _ClassVar[CrossingMode]
    CROSSING_MODE_RAIL: _ClassVar[CrossingMode]
    CROSSING_MODE_BRIDGE: _ClassVar[CrossingMode]
    CROSSING_MODE_FERRY: _ClassVar[CrossingMode]
    CROSSING_MODE_AIR: _ClassVar[CrossingMode]

class Standing(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STANDING_UNSPECIFIED: _ClassVar[Standing]
    STANDING_RANKED: _ClassVar[Standing]
    STANDING_UNCERTAIN: _ClassVar[Standing]
    STANDING_UNKNOWN: _ClassVar[Standing]

class Edge(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EDGE_UNSPECIFIED: _ClassVar[Edge]
    EDGE_STARTS: _ClassVar[Edge]
    EDGE_CERTAIN: _ClassVar[Edge]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_OUTBOUND: Direction
DIRECTION_INBOUND: Direction
CHANNEL_UNSPECIFIED: Channel
CHANNEL_PERSONAL_BAGGAGE: Channel
CHANNEL_CARGO_ROAD: Channel
CHANNEL_CARGO_RAIL: Channel
CHANNEL_CARGO_SEA: Channel
CHANNEL_CARGO_AIR: Channel
CHANNEL_POSTAL: Channel
TRAVELLER_UNSPECIFIED: Traveller
TRAVELLER_ANY: Traveller
TRAVELLER_WORKER: Traveller
TRAVELLER_VISITOR: Traveller
TRAVELLER_TRADER: Traveller
TRAVELLER_OFFICIAL: Traveller
TRAVELLER_RESIDENT: Traveller
TRAVELLER_DRIVER: Traveller
TRAVELLER_CREW: Traveller
DIMENSION_UNSPECIFIED: Dimension
DIMENSION_ADMISSIBILITY: Dimension
DIMENSION_INSPECTION: Dimension
DIMENSION_ENFORCEMENT: Dimension
INSPECTION_UNSPECIFIED: Inspection
INSPECTION_NONE: Inspection
INSPECTION_LIGHT: Inspection
INSPECTION_STANDARD: Inspection
INSPECTION_THOROUGH: Inspection
INSPECTION_RIGOROUS: Inspection
ENFORCEMENT_UNSPECIFIED: Enforcement
ENFORCEMENT_NONE: Enforcement
ENFORCEMENT_REFUSAL: Enforcement
ENFORCEMENT_CONFISCATION: Enforcement
ENFORCEMENT_FINE: Enforcement
ENFORCEMENT_DETENTION: Enforcement
ADMISSIBILITY_KIND_UNSPECIFIED: AdmissibilityKind
ADMISSIBILITY_KIND_PROHIBITED: AdmissibilityKind
ADMISSIBILITY_KIND_QUANTITY_LIMIT: AdmissibilityKind
ADMISSIBILITY_KIND_VALUE_LIMIT: AdmissibilityKind
ADMISSIBILITY_KIND_ALLOWED: AdmissibilityKind
PRECISION_UNSPECIFIED: Precision
PRECISION_DAY: Precision
PRECISION_EARLY_MONTH: Precision
PRECISION_MID_MONTH: Precision
PRECISION_LATE_MONTH: Precision
PRECISION_MONTH: Precision
PRECISION_QUARTER: Precision
PRECISION_YEAR: Precision
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_OBSERVED: ChangeKind
CHANGE_KIND_TIGHTENED: ChangeKind
CHANGE_KIND_LOOSENED: ChangeKind
BASIS_UNSPECIFIED: Basis
BASIS_RECORDED: Basis
BASIS_REPORTED: Basis
VERDICT_UNSPECIFIED: Verdict
VERDICT_ALLOWED: Verdict
VERDICT_LIMIT_EXCEEDED: Verdict
VERDICT_PROHIBITED: Verdict
VERDICT_UNCERTAIN: Verdict
VERDICT_NO_RULE: Verdict
CROSSING_MODE_UNSPECIFIED: CrossingMode
CROSSING_MODE_ROAD: CrossingMode
CROSSING_MODE_RAIL: CrossingMode
CROSSING_MODE_BRIDGE: CrossingMode
CROSSING_MODE_FERRY: CrossingMode
CROSSING_MODE_AIR: CrossingMode
STANDING_UNSPECIFIED: Standing
STANDING_RANKED: Standing
STANDING_UNCERTAIN: Standing
STANDING_UNKNOWN: Standing
EDGE_UNSPECIFIED: Edge
EDGE_STARTS: Edge
EDGE_CERTAIN: Edge

class Scope(_message.Message):
    __slots__ = ('direction', 'channel', 'traveller', 'goods')
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRAVELLER_FIELD_NUMBER: _ClassVar[int]
    GOODS_FIELD_NUMBER: _ClassVar[int]
    direction: Direction
    channel: Channel
    traveller: Traveller
    goods: str

    def __init__(self, direction: _Optional[_Union[Direction, str]]=..., channel: _Optional[_Union[Channel, str]]=..., traveller: _Optional[_Union[Traveller, str]]=..., goods: _Optional[str]=...) -> None:
        ...

class Admissibility(_message.Message):
    __slots__ = ('kind', 'quantity', 'amount', 'currency')
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    kind: AdmissibilityKind
    quantity: int
    amount: str
    currency: str

    def __init__(self, kind: _Optional[_Union[AdmissibilityKind, str]]=..., quantity: _Optional[int]=..., amount: _Optional[str]=..., currency: _Optional[str]=...) -> None:
        ...

class Measure(_message.Message):
    __slots__ = ('admissibility', 'inspection', 'enforcement')
    ADMISSIBILITY_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ENFORCEMENT_FIELD_NUMBER: _ClassVar[int]
    admissibility: Admissibility
    inspection: Inspection
    enforcement: Enforcement

    def __init__(self, admissibility: _Optional[_Union[Admissibility, _Mapping]]=..., inspection: _Optional[_Union[Inspection, str]]=..., enforcement: _Optional[_Union[Enforcement, str]]=...) -> None:
        ...

class EffectiveDate(_message.Message):
    __slots__ = ('on', 'precision')
    ON_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    on: str
    precision: Precision

    def __init__(self, on: _Optional[str]=..., precision: _Optional[_Union[Precision, str]]=...) -> None:
        ...

class Source(_message.Message):
    __slots__ = ('publisher', 'url', 'published', 'language', 'grade', 'reference')
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    publisher: str
    url: str
    published: str
    language: str
    grade: str
    reference: str

    def __init__(self, publisher: _Optional[str]=..., url: _Optional[str]=..., published: _Optional[str]=..., language: _Optional[str]=..., grade: _Optional[str]=..., reference: _Optional[str]=...) -> None:
        ...

class Crossing(_message.Message):
    __slots__ = ('counterpart', 'mode')
    COUNTERPART_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    counterpart: str
    mode: CrossingMode

    def __init__(self, counterpart: _Optional[str]=..., mode: _Optional[_Union[CrossingMode, str]]=...) -> None:
        ...

class Office(_message.Message):
    __slots__ = ('code', 'name', 'crossings', 'version', 'registered_at', 'changes')
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CROSSINGS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    crossings: _containers.RepeatedCompositeFieldContainer[Crossing]
    version: int
    registered_at: _timestamp_pb2.Timestamp
    changes: int

    def __init__(self, code: _Optional[str]=..., name: _Optional[str]=..., crossings: _Optional[_Iterable[_Union[Crossing, _Mapping]]]=..., version: _Optional[int]=..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., changes: _Optional[int]=...) -> None:
        ...

class Receipt(_message.Message):
    __slots__ = ('change_id', 'office', 'office_version', 'position', 'recorded_at', 'hash')
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    change_id: str
    office: str
    office_version: int
    position: int
    recorded_at: _timestamp_pb2.Timestamp
    hash: str

    def __init__(self, change_id: _Optional[str]=..., office: _Optional[str]=..., office_version: _Optional[int]=..., position: _Optional[int]=..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., hash: _Optional[str]=...) -> None:
        ...

class PolicyChange(_message.Message):
    __slots__ = ('scope', 'measure', 'effective', 'sources', 'note')
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    note: str

    def __init__(self, scope: _Optional[_Union[Scope, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=..., note: _Optional[str]=...) -> None:
        ...

class RegisterOfficeRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'name', 'crossings')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CROSSINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    name: str
    crossings: _containers.RepeatedCompositeFieldContainer[Crossing]

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., name: _Optional[str]=..., crossings: _Optional[_Iterable[_Union[Crossing, _Mapping]]]=...) -> None:
        ...

class RegisterOfficeResponse(_message.Message):
    __slots__ = ('receipt',)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=...) -> None:
        ...

class GetOfficeRequest(_message.Message):
    __slots__ = ('office', 'min_position')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    office: str
    min_position: int

    def __init__(self, office: _Optional[str]=..., min_position: _Optional[int]=...) -> None:
        ...

class GetOfficeResponse(_message.Message):
    __slots__ = ('office',)
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    office: Office

    def __init__(self, office: _Optional[_Union[Office, _Mapping]]=...) -> None:
        ...

class ListOfficesRequest(_message.Message):
    __slots__ = ('min_position',)
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    min_position: int

    def __init__(self, min_position: _Optional[int]=...) -> None:
        ...

class ListOfficesResponse(_message.Message):
    __slots__ = ('offices',)
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    offices: _containers.RepeatedCompositeFieldContainer[Office]

    def __init__(self, offices: _Optional[_Iterable[_Union[Office, _Mapping]]]=...) -> None:
        ...

class RecordObservationRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'expected_version', 'change')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    expected_version: int
    change: PolicyChange

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., expected_version: _Optional[int]=..., change: _Optional[_Union[PolicyChange, _Mapping]]=...) -> None:
        ...

class RecordObservationResponse(_message.Message):
    __slots__ = ('receipt',)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=...) -> None:
        ...

class RecordTighteningRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'expected_version', 'change')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    expected_version: int
    change: PolicyChange

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., expected_version: _Optional[int]=..., change: _Optional[_Union[PolicyChange, _Mapping]]=...) -> None:
        ...

class RecordTighteningResponse(_message.Message):
    __slots__ = ('receipt',)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=...) -> None:
        ...

class RecordLooseningRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'expected_version', 'change')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    expected_version: int
    change: PolicyChange

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., expected_version: _Optional[int]=..., change: _Optional[_Union[PolicyChange, _Mapping]]=...) -> None:
        ...

class RecordLooseningResponse(_message.Message):
    __slots__ = ('receipt',)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=...) -> None:
        ...

class AmendChangeRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'expected_version', 'change_id', 'effective', 'measure', 'reason', 'sources', 'clear')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    expected_version: int
    change_id: str
    effective: EffectiveDate
    measure: Measure
    reason: str
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    clear: _containers.RepeatedScalarFieldContainer[Dimension]

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., expected_version: _Optional[int]=..., change_id: _Optional[str]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., reason: _Optional[str]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=..., clear: _Optional[_Iterable[_Union[Dimension, str]]]=...) -> None:
        ...

class ChangeForm(_message.Message):
    __slots__ = ('kind', 'scope', 'measure', 'effective')
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate

    def __init__(self, kind: _Optional[_Union[ChangeKind, str]]=..., scope: _Optional[_Union[Scope, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=...) -> None:
        ...

class AmendChangeResponse(_message.Message):
    __slots__ = ('receipt', 'before', 'after')
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt
    before: ChangeForm
    after: ChangeForm

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=..., before: _Optional[_Union[ChangeForm, _Mapping]]=..., after: _Optional[_Union[ChangeForm, _Mapping]]=...) -> None:
        ...

class RetractChangeRequest(_message.Message):
    __slots__ = ('request_id', 'office', 'expected_version', 'change_id', 'reason', 'sources')
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    expected_version: int
    change_id: str
    reason: str
    sources: _containers.RepeatedCompositeFieldContainer[Source]

    def __init__(self, request_id: _Optional[str]=..., office: _Optional[str]=..., expected_version: _Optional[int]=..., change_id: _Optional[str]=..., reason: _Optional[str]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=...) -> None:
        ...

class RetractChangeResponse(_message.Message):
    __slots__ = ('receipt',)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: Receipt

    def __init__(self, receipt: _Optional[_Union[Receipt, _Mapping]]=...) -> None:
        ...

class Command(_message.Message):
    __slots__ = ('register', 'observe', 'tighten', 'loosen', 'amend', 'retract')
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_FIELD_NUMBER: _ClassVar[int]
    TIGHTEN_FIELD_NUMBER: _ClassVar[int]
    LOOSEN_FIELD_NUMBER: _ClassVar[int]
    AMEND_FIELD_NUMBER: _ClassVar[int]
    RETRACT_FIELD_NUMBER: _ClassVar[int]
    register: RegisterOfficeRequest
    observe: RecordObservationRequest
    tighten: RecordTighteningRequest
    loosen: RecordLooseningRequest
    amend: AmendChangeRequest
    retract: RetractChangeRequest

    def __init__(self, register: _Optional[_Union[RegisterOfficeRequest, _Mapping]]=..., observe: _Optional[_Union[RecordObservationRequest, _Mapping]]=..., tighten: _Optional[_Union[RecordTighteningRequest, _Mapping]]=..., loosen: _Optional[_Union[RecordLooseningRequest, _Mapping]]=..., amend: _Optional[_Union[AmendChangeRequest, _Mapping]]=..., retract: _Optional[_Union[RetractChangeRequest, _Mapping]]=...) -> None:
        ...

class ImportCommandsRequest(_message.Message):
    __slots__ = ('commands',)
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[Command]

    def __init__(self, commands: _Optional[_Iterable[_Union[Command, _Mapping]]]=...) -> None:
        ...

class ImportCommandsResponse(_message.Message):
    __slots__ = ('receipts', 'stored')
    RECEIPTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    receipts: _containers.RepeatedCompositeFieldContainer[Receipt]
    stored: int

    def __init__(self, receipts: _Optional[_Iterable[_Union[Receipt, _Mapping]]]=..., stored: _Optional[int]=...) -> None:
        ...

class GetHistoryRequest(_message.Message):
    __slots__ = ('office', 'valid_from', 'valid_to', 'known_at', 'basis', 'batch_size', 'min_position', 'known_at_position')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_POSITION_FIELD_NUMBER: _ClassVar[int]
    office: str
    valid_from: str
    valid_to: str
    known_at: str
    basis: Basis
    batch_size: int
    min_position: int
    known_at_position: int

    def __init__(self, office: _Optional[str]=..., valid_from: _Optional[str]=..., valid_to: _Optional[str]=..., known_at: _Optional[str]=..., basis: _Optional[_Union[Basis, str]]=..., batch_size: _Optional[int]=..., min_position: _Optional[int]=..., known_at_position: _Optional[int]=...) -> None:
        ...

class HistoryEvent(_message.Message):
    __slots__ = ('office_version', 'type', 'event_id', 'change_id', 'recorded_at', 'reported_on', 'event_json')
    OFFICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    EVENT_JSON_FIELD_NUMBER: _ClassVar[int]
    office_version: int
    type: str
    event_id: str
    change_id: str
    recorded_at: _timestamp_pb2.Timestamp
    reported_on: str
    event_json: str

    def __init__(self, office_version: _Optional[int]=..., type: _Optional[str]=..., event_id: _Optional[str]=..., change_id: _Optional[str]=..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., reported_on: _Optional[str]=..., event_json: _Optional[str]=...) -> None:
        ...

class GetHistoryResponse(_message.Message):
    __slots__ = ('events',)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[HistoryEvent]

    def __init__(self, events: _Optional[_Iterable[_Union[HistoryEvent, _Mapping]]]=...) -> None:
        ...

class GetRuleStateRequest(_message.Message):
    __slots__ = ('office', 'at', 'known_at', 'basis', 'min_position', 'known_at_position')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_POSITION_FIELD_NUMBER: _ClassVar[int]
    office: str
    at: str
    known_at: str
    basis: Basis
    min_position: int
    known_at_position: int

    def __init__(self, office: _Optional[str]=..., at: _Optional[str]=..., known_at: _Optional[str]=..., basis: _Optional[_Union[Basis, str]]=..., min_position: _Optional[int]=..., known_at_position: _Optional[int]=...) -> None:
        ...

class Ruling(_message.Message):
    __slots__ = ('dimension', 'change_id', 'kind', 'scope', 'measure', 'effective', 'event_ids', 'sources')
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    dimension: str
    change_id: str
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    sources: _containers.RepeatedCompositeFieldContainer[Source]

    def __init__(self, dimension: _Optional[str]=..., change_id: _Optional[str]=..., kind: _Optional[_Union[ChangeKind, str]]=..., scope: _Optional[_Union[Scope, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., event_ids: _Optional[_Iterable[str]]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=...) -> None:
        ...

class RuleState(_message.Message):
    __slots__ = ('admissibility', 'inspection', 'enforcement', 'rulings')
    ADMISSIBILITY_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ENFORCEMENT_FIELD_NUMBER: _ClassVar[int]
    RULINGS_FIELD_NUMBER: _ClassVar[int]
    admissibility: Admissibility
    inspection: Inspection
    enforcement: Enforcement
    rulings: _containers.RepeatedCompositeFieldContainer[Ruling]

    def __init__(self, admissibility: _Optional[_Union[Admissibility, _Mapping]]=..., inspection: _Optional[_Union[Inspection, str]]=..., enforcement: _Optional[_Union[Enforcement, str]]=..., rulings: _Optional[_Iterable[_Union[Ruling, _Mapping]]]=...) -> None:
        ...

class ScopeState(_message.Message):
    __slots__ = ('scope', 'uncertain', 'states')
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    UNCERTAIN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    uncertain: bool
    states: _containers.RepeatedCompositeFieldContainer[RuleState]

    def __init__(self, scope: _Optional[_Union[Scope, _Mapping]]=..., uncertain: _Optional[bool]=..., states: _Optional[_Iterable[_Union[RuleState, _Mapping]]]=...) -> None:
        ...

class GetRuleStateResponse(_message.Message):
    __slots__ = ('office', 'at', 'scopes')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    office: str
    at: str
    scopes: _containers.RepeatedCompositeFieldContainer[ScopeState]

    def __init__(self, office: _Optional[str]=..., at: _Optional[str]=..., scopes: _Optional[_Iterable[_Union[ScopeState, _Mapping]]]=...) -> None:
        ...

class CheckItem(_message.Message):
    __slots__ = ('goods', 'quantity', 'value', 'currency')
    GOODS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    goods: str
    quantity: int
    value: str
    currency: str

    def __init__(self, goods: _Optional[str]=..., quantity: _Optional[int]=..., value: _Optional[str]=..., currency: _Optional[str]=...) -> None:
        ...

class CheckRequest(_message.Message):
    __slots__ = ('office', 'at', 'known_at', 'basis', 'direction', 'channel', 'traveller', 'items', 'min_position', 'known_at_position', 'log', 'label')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRAVELLER_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_POSITION_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    office: str
    at: str
    known_at: str
    basis: Basis
    direction: Direction
    channel: Channel
    traveller: Traveller
    items: _containers.RepeatedCompositeFieldContainer[CheckItem]
    min_position: int
    known_at_position: int
    log: bool
    label: str

    def __init__(self, office: _Optional[str]=..., at: _Optional[str]=..., known_at: _Optional[str]=..., basis: _Optional[_Union[Basis, str]]=..., direction: _Optional[_Union[Direction, str]]=..., channel: _Optional[_Union[Channel, str]]=..., traveller: _Optional[_Union[Traveller, str]]=..., items: _Optional[_Iterable[_Union[CheckItem, _Mapping]]]=..., min_position: _Optional[int]=..., known_at_position: _Optional[int]=..., log: _Optional[bool]=..., label: _Optional[str]=...) -> None:
        ...

class Outcome(_message.Message):
    __slots__ = ('verdict', 'reason', 'admissibility', 'inspection', 'enforcement', 'rulings')
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ADMISSIBILITY_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ENFORCEMENT_FIELD_NUMBER: _ClassVar[int]
    RULINGS_FIELD_NUMBER: _ClassVar[int]
    verdict: Verdict
    reason: str
    admissibility: Admissibility
    inspection: Inspection
    enforcement: Enforcement
    rulings: _containers.RepeatedCompositeFieldContainer[Ruling]

    def __init__(self, verdict: _Optional[_Union[Verdict, str]]=..., reason: _Optional[str]=..., admissibility: _Optional[_Union[Admissibility, _Mapping]]=..., inspection: _Optional[_Union[Inspection, str]]=..., enforcement: _Optional[_Union[Enforcement, str]]=..., rulings: _Optional[_Iterable[_Union[Ruling, _Mapping]]]=...) -> None:
        ...

class ItemResult(_message.Message):
    __slots__ = ('item', 'verdict', 'inspection', 'enforcement', 'governing', 'event_ids', 'sources', 'candidates')
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ENFORCEMENT_FIELD_NUMBER: _ClassVar[int]
    GOVERNING_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    item: CheckItem
    verdict: Verdict
    inspection: Inspection
    enforcement: Enforcement
    governing: Ruling
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    candidates: _containers.RepeatedCompositeFieldContainer[Outcome]

    def __init__(self, item: _Optional[_Union[CheckItem, _Mapping]]=..., verdict: _Optional[_Union[Verdict, str]]=..., inspection: _Optional[_Union[Inspection, str]]=..., enforcement: _Optional[_Union[Enforcement, str]]=..., governing: _Optional[_Union[Ruling, _Mapping]]=..., event_ids: _Optional[_Iterable[str]]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=..., candidates: _Optional[_Iterable[_Union[Outcome, _Mapping]]]=...) -> None:
        ...

class CheckResponse(_message.Message):
    __slots__ = ('office', 'items', 'decision_id')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    office: str
    items: _containers.RepeatedCompositeFieldContainer[ItemResult]
    decision_id: str

    def __init__(self, office: _Optional[str]=..., items: _Optional[_Iterable[_Union[ItemResult, _Mapping]]]=..., decision_id: _Optional[str]=...) -> None:
        ...

class CompareOfficesRequest(_message.Message):
    __slots__ = ('offices', 'at', 'known_at', 'basis', 'direction', 'channel', 'traveller', 'items', 'min_position', 'known_at_position', 'log', 'label')
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRAVELLER_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_POSITION_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    offices: _containers.RepeatedScalarFieldContainer[str]
    at: str
    known_at: str
    basis: Basis
    direction: Direction
    channel: Channel
    traveller: Traveller
    items: _containers.RepeatedCompositeFieldContainer[CheckItem]
    min_position: int
    known_at_position: int
    log: bool
    label: str

    def __init__(self, offices: _Optional[_Iterable[str]]=..., at: _Optional[str]=..., known_at: _Optional[str]=..., basis: _Optional[_Union[Basis, str]]=..., direction: _Optional[_Union[Direction, str]]=..., channel: _Optional[_Union[Channel, str]]=..., traveller: _Optional[_Union[Traveller, str]]=..., items: _Optional[_Iterable[_Union[CheckItem, _Mapping]]]=..., min_position: _Optional[int]=..., known_at_position: _Optional[int]=..., log: _Optional[bool]=..., label: _Optional[str]=...) -> None:
        ...

class OfficeRanking(_message.Message):
    __slots__ = ('rank', 'office', 'items', 'standing')
    RANK_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    STANDING_FIELD_NUMBER: _ClassVar[int]
    rank: int
    office: str
    items: _containers.RepeatedCompositeFieldContainer[ItemResult]
    standing: Standing

    def __init__(self, rank: _Optional[int]=..., office: _Optional[str]=..., items: _Optional[_Iterable[_Union[ItemResult, _Mapping]]]=..., standing: _Optional[_Union[Standing, str]]=...) -> None:
        ...

class CompareOfficesResponse(_message.Message):
    __slots__ = ('rankings', 'decision_id')
    RANKINGS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    rankings: _containers.RepeatedCompositeFieldContainer[OfficeRanking]
    decision_id: str

    def __init__(self, rankings: _Optional[_Iterable[_Union[OfficeRanking, _Mapping]]]=..., decision_id: _Optional[str]=...) -> None:
        ...

class WatchRequest(_message.Message):
    __slots__ = ('after_position', 'batch_size')
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_position: int
    batch_size: int

    def __init__(self, after_position: _Optional[int]=..., batch_size: _Optional[int]=...) -> None:
        ...

class WatchEvent(_message.Message):
    __slots__ = ('position', 'office', 'office_version', 'type', 'event_id', 'recorded_at', 'event_json')
    POSITION_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_JSON_FIELD_NUMBER: _ClassVar[int]
    position: int
    office: str
    office_version: int
    type: str
    event_id: str
    recorded_at: _timestamp_pb2.Timestamp
    event_json: str

    def __init__(self, position: _Optional[int]=..., office: _Optional[str]=..., office_version: _Optional[int]=..., type: _Optional[str]=..., event_id: _Optional[str]=..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., event_json: _Optional[str]=...) -> None:
        ...

class WatchResponse(_message.Message):
    __slots__ = ('events',)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[WatchEvent]

    def __init__(self, events: _Optional[_Iterable[_Union[WatchEvent, _Mapping]]]=...) -> None:
        ...

class PingRequest(_message.Message):
    __slots__ = ()

    def __init__(self) -> None:
        ...

class PingResponse(_message.Message):
    __slots__ = ()

    def __init__(self) -> None:
        ...

class Digest(_message.Message):
    __slots__ = ('position', 'root', 'merkle_root')
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    position: int
    root: str
    merkle_root: str

    def __init__(self, position: _Optional[int]=..., root: _Optional[str]=..., merkle_root: _Optional[str]=...) -> None:
        ...

class GetDigestRequest(_message.Message):
    __slots__ = ()

    def __init__(self) -> None:
        ...

class GetDigestResponse(_message.Message):
    __slots__ = ('digest', 'checkpoint')
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    digest: Digest
    checkpoint: str

    def __init__(self, digest: _Optional[_Union[Digest, _Mapping]]=..., checkpoint: _Optional[str]=...) -> None:
        ...

class ListCheckpointsRequest(_message.Message):
    __slots__ = ('after_size', 'limit', 'latest')
    AFTER_SIZE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    after_size: int
    limit: int
    latest: bool

    def __init__(self, after_size: _Optional[int]=..., limit: _Optional[int]=..., latest: _Optional[bool]=...) -> None:
        ...

class ListCheckpointsResponse(_message.Message):
    __slots__ = ('checkpoints',)
    CHECKPOINTS_FIELD_NUMBER: _ClassVar[int]
    checkpoints: _containers.RepeatedCompositeFieldContainer[SignedCheckpoint]

    def __init__(self, checkpoints: _Optional[_Iterable[_Union[SignedCheckpoint, _Mapping]]]=...) -> None:
        ...

class SignedCheckpoint(_message.Message):
    __slots__ = ('size', 'note')
    SIZE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    size: int
    note: str

    def __init__(self, size: _Optional[int]=..., note: _Optional[str]=...) -> None:
        ...

class VerifyDigestRequest(_message.Message):
    __slots__ = ('pinned',)
    PINNED_FIELD_NUMBER: _ClassVar[int]
    pinned: Digest

    def __init__(self, pinned: _Optional[_Union[Digest, _Mapping]]=...) -> None:
        ...

class VerifyDigestResponse(_message.Message):
    __slots__ = ('current',)
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    current: Digest

    def __init__(self, current: _Optional[_Union[Digest, _Mapping]]=...) -> None:
        ...

class GetInclusionProofRequest(_message.Message):
    __slots__ = ('position', 'tree_size', 'event_id')
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    position: int
    tree_size: int
    event_id: str

    def __init__(self, position: _Optional[int]=..., tree_size: _Optional[int]=..., event_id: _Optional[str]=...) -> None:
        ...

class GetInclusionProofResponse(_message.Message):
    __slots__ = ('event', 'tree', 'path')
    EVENT_FIELD_NUMBER: _ClassVar[int]
    TREE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    event: ExportedEvent
    tree: Digest
    path: _containers.RepeatedScalarFieldContainer[bytes]

    def __init__(self, event: _Optional[_Union[ExportedEvent, _Mapping]]=..., tree: _Optional[_Union[Digest, _Mapping]]=..., path: _Optional[_Iterable[bytes]]=...) -> None:
        ...

class GetConsistencyProofRequest(_message.Message):
    __slots__ = ('old_size', 'new_size')
    OLD_SIZE_FIELD_NUMBER: _ClassVar[int]
    NEW_SIZE_FIELD_NUMBER: _ClassVar[int]
    old_size: int
    new_size: int

    def __init__(self, old_size: _Optional[int]=..., new_size: _Optional[int]=...) -> None:
        ...

class GetConsistencyProofResponse(_message.Message):
    __slots__ = ('old', 'new', 'proof')
    OLD_FIELD_NUMBER: _ClassVar[int]
    NEW_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    old: Digest
    new: Digest
    proof: _containers.RepeatedScalarFieldContainer[bytes]

    def __init__(self, old: _Optional[_Union[Digest, _Mapping]]=..., new: _Optional[_Union[Digest, _Mapping]]=..., proof: _Optional[_Iterable[bytes]]=...) -> None:
        ...

class ExportLedgerRequest(_message.Message):
    __slots__ = ('after_position', 'batch_size')
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_position: int
    batch_size: int

    def __init__(self, after_position: _Optional[int]=..., batch_size: _Optional[int]=...) -> None:
        ...

class ExportedEvent(_message.Message):
    __slots__ = ('position', 'office_id', 'office_version', 'type', 'stored_json')
    POSITION_FIELD_NUMBER: _ClassVar[int]
    OFFICE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STORED_JSON_FIELD_NUMBER: _ClassVar[int]
    position: int
    office_id: str
    office_version: int
    type: str
    stored_json: bytes

    def __init__(self, position: _Optional[int]=..., office_id: _Optional[str]=..., office_version: _Optional[int]=..., type: _Optional[str]=..., stored_json: _Optional[bytes]=...) -> None:
        ...

class ExportLedgerResponse(_message.Message):
    __slots__ = ('events',)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ExportedEvent]

    def __init__(self, events: _Optional[_Iterable[_Union[ExportedEvent, _Mapping]]]=...) -> None:
        ...

class EffectiveEdge(_message.Message):
    __slots__ = ('office', 'edge', 'on', 'change_id', 'kind', 'scope', 'measure', 'effective', 'sources', 'position')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    EDGE_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    office: str
    edge: Edge
    on: str
    change_id: str
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    position: int

    def __init__(self, office: _Optional[str]=..., edge: _Optional[_Union[Edge, str]]=..., on: _Optional[str]=..., change_id: _Optional[str]=..., kind: _Optional[_Union[ChangeKind, str]]=..., scope: _Optional[_Union[Scope, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=..., position: _Optional[int]=...) -> None:
        ...

class ListUpcomingRequest(_message.Message):
    __slots__ = ('offices', 'from_date', 'to_date', 'page_size', 'page_token', 'min_position')
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    offices: _containers.RepeatedScalarFieldContainer[str]
    from_date: str
    to_date: str
    page_size: int
    page_token: str
    min_position: int

    def __init__(self, offices: _Optional[_Iterable[str]]=..., from_date: _Optional[str]=..., to_date: _Optional[str]=..., page_size: _Optional[int]=..., page_token: _Optional[str]=..., min_position: _Optional[int]=...) -> None:
        ...

class ListUpcomingResponse(_message.Message):
    __slots__ = ('edges', 'next_page_token')
    EDGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    edges: _containers.RepeatedCompositeFieldContainer[EffectiveEdge]
    next_page_token: str

    def __init__(self, edges: _Optional[_Iterable[_Union[EffectiveEdge, _Mapping]]]=..., next_page_token: _Optional[str]=...) -> None:
        ...

class WatchEffectiveRequest(_message.Message):
    __slots__ = ('offices', 'after_date', 'after_position')
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    AFTER_DATE_FIELD_NUMBER: _ClassVar[int]
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    offices: _containers.RepeatedScalarFieldContainer[str]
    after_date: str
    after_position: int

    def __init__(self, offices: _Optional[_Iterable[str]]=..., after_date: _Optional[str]=..., after_position: _Optional[int]=...) -> None:
        ...

class EffectiveNotice(_message.Message):
    __slots__ = ('edge', 'late')
    EDGE_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    edge: EffectiveEdge
    late: bool

    def __init__(self, edge: _Optional[_Union[EffectiveEdge, _Mapping]]=..., late: _Optional[bool]=...) -> None:
        ...

class WatchEffectiveResponse(_message.Message):
    __slots__ = ('notices', 'resume_date', 'resume_position')
    NOTICES_FIELD_NUMBER: _ClassVar[int]
    RESUME_DATE_FIELD_NUMBER: _ClassVar[int]
    RESUME_POSITION_FIELD_NUMBER: _ClassVar[int]
    notices: _containers.RepeatedCompositeFieldContainer[EffectiveNotice]
    resume_date: str
    resume_position: int

    def __init__(self, notices: _Optional[_Iterable[_Union[EffectiveNotice, _Mapping]]]=..., resume_date: _Optional[str]=..., resume_position: _Optional[int]=...) -> None:
        ...

class Decision(_message.Message):
    __slots__ = ('decision_id', 'sequence', 'asked_at', 'asked_by', 'label', 'check', 'comparison', 'answer', 'position', 'digest', 'event_ids', 'prev_hash', 'hash')
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ASKED_AT_FIELD_NUMBER: _ClassVar[int]
    ASKED_BY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    sequence: int
    asked_at: _timestamp_pb2.Timestamp
    asked_by: str
    label: str
    check: CheckRequest
    comparison: CompareOfficesRequest
    answer: DecisionAnswer
    position: int
    digest: str
    event_ids: _containers.RepeatedScalarFieldContainer[str]
    prev_hash: str
    hash: str

    def __init__(self, decision_id: _Optional[str]=..., sequence: _Optional[int]=..., asked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., asked_by: _Optional[str]=..., label: _Optional[str]=..., check: _Optional[_Union[CheckRequest, _Mapping]]=..., comparison: _Optional[_Union[CompareOfficesRequest, _Mapping]]=..., answer: _Optional[_Union[DecisionAnswer, _Mapping]]=..., position: _Optional[int]=..., digest: _Optional[str]=..., event_ids: _Optional[_Iterable[str]]=..., prev_hash: _Optional[str]=..., hash: _Optional[str]=...) -> None:
        ...

class DecisionAnswer(_message.Message):
    __slots__ = ('check', 'comparison')
    CHECK_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    check: CheckResponse
    comparison: CompareOfficesResponse

    def __init__(self, check: _Optional[_Union[CheckResponse, _Mapping]]=..., comparison: _Optional[_Union[CompareOfficesResponse, _Mapping]]=...) -> None:
        ...

class GetDecisionRequest(_message.Message):
    __slots__ = ('decision_id',)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str

    def __init__(self, decision_id: _Optional[str]=...) -> None:
        ...

class GetDecisionResponse(_message.Message):
    __slots__ = ('decision',)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: Decision

    def __init__(self, decision: _Optional[_Union[Decision, _Mapping]]=...) -> None:
        ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ('office', 'label', 'asked_from', 'asked_until', 'from_position', 'to_position', 'page_size', 'page_token')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ASKED_FROM_FIELD_NUMBER: _ClassVar[int]
    ASKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    FROM_POSITION_FIELD_NUMBER: _ClassVar[int]
    TO_POSITION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    office: str
    label: str
    asked_from: str
    asked_until: str
    from_position: int
    to_position: int
    page_size: int
    page_token: str

    def __init__(self, office: _Optional[str]=..., label: _Optional[str]=..., asked_from: _Optional[str]=..., asked_until: _Optional[str]=..., from_position: _Optional[int]=..., to_position: _Optional[int]=..., page_size: _Optional[int]=..., page_token: _Optional[str]=...) -> None:
        ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ('decisions', 'next_page_token')
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    next_page_token: str

    def __init__(self, decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]]=..., next_page_token: _Optional[str]=...) -> None:
        ...

class ReplayDecisionRequest(_message.Message):
    __slots__ = ('decision_id',)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str

    def __init__(self, decision_id: _Optional[str]=...) -> None:
        ...

class ReplayDecisionResponse(_message.Message):
    __slots__ = ('decision', 'then', 'matches', 'now', 'now_position', 'changed')
    DECISION_FIELD_NUMBER: _ClassVar[int]
    THEN_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    NOW_POSITION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    then: DecisionAnswer
    matches: bool
    now: DecisionAnswer
    now_position: int
    changed: bool

    def __init__(self, decision: _Optional[_Union[Decision, _Mapping]]=..., then: _Optional[_Union[DecisionAnswer, _Mapping]]=..., matches: _Optional[bool]=..., now: _Optional[_Union[DecisionAnswer, _Mapping]]=..., now_position: _Optional[int]=..., changed: _Optional[bool]=...) -> None:
        ...

class GetImpactRequest(_message.Message):
    __slots__ = ('position', 'min_position')
    POSITION_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    position: int
    min_position: int

    def __init__(self, position: _Optional[int]=..., min_position: _Optional[int]=...) -> None:
        ...

class Impact(_message.Message):
    __slots__ = ('decision_id', 'decision', 'before', 'after', 'position', 'event_id', 'event_type', 'office')
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    decision: Decision
    before: DecisionAnswer
    after: DecisionAnswer
    position: int
    event_id: str
    event_type: str
    office: str

    def __init__(self, decision_id: _Optional[str]=..., decision: _Optional[_Union[Decision, _Mapping]]=..., before: _Optional[_Union[DecisionAnswer, _Mapping]]=..., after: _Optional[_Union[DecisionAnswer, _Mapping]]=..., position: _Optional[int]=..., event_id: _Optional[str]=..., event_type: _Optional[str]=..., office: _Optional[str]=...) -> None:
        ...

class GetImpactResponse(_message.Message):
    __slots__ = ('event_id', 'event_type', 'office', 'impacts', 'candidates')
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    IMPACTS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_type: str
    office: str
    impacts: _containers.RepeatedCompositeFieldContainer[Impact]
    candidates: int

    def __init__(self, event_id: _Optional[str]=..., event_type: _Optional[str]=..., office: _Optional[str]=..., impacts: _Optional[_Iterable[_Union[Impact, _Mapping]]]=..., candidates: _Optional[int]=...) -> None:
        ...

class WatchImpactsRequest(_message.Message):
    __slots__ = ('after_position', 'offices')
    AFTER_POSITION_FIELD_NUMBER: _ClassVar[int]
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    after_position: int
    offices: _containers.RepeatedScalarFieldContainer[str]

    def __init__(self, after_position: _Optional[int]=..., offices: _Optional[_Iterable[str]]=...) -> None:
        ...

class WatchImpactsResponse(_message.Message):
    __slots__ = ('impacts', 'resume_position')
    IMPACTS_FIELD_NUMBER: _ClassVar[int]
    RESUME_POSITION_FIELD_NUMBER: _ClassVar[int]
    impacts: _containers.RepeatedCompositeFieldContainer[Impact]
    resume_position: int

    def __init__(self, impacts: _Optional[_Iterable[_Union[Impact, _Mapping]]]=..., resume_position: _Optional[int]=...) -> None:
        ...

class ExportDecisionsRequest(_message.Message):
    __slots__ = ('after_sequence', 'batch_size')
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    batch_size: int

    def __init__(self, after_sequence: _Optional[int]=..., batch_size: _Optional[int]=...) -> None:
        ...

class StoredDecision(_message.Message):
    __slots__ = ('sequence', 'decision_json', 'hash')
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DECISION_JSON_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    decision_json: str
    hash: str

    def __init__(self, sequence: _Optional[int]=..., decision_json: _Optional[str]=..., hash: _Optional[str]=...) -> None:
        ...

class ExportDecisionsResponse(_message.Message):
    __slots__ = ('decisions',)
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[StoredDecision]

    def __init__(self, decisions: _Optional[_Iterable[_Union[StoredDecision, _Mapping]]]=...) -> None:
        ...

class GetTimelineRequest(_message.Message):
    __slots__ = ('offices', 'valid_from', 'valid_to', 'direction', 'channel', 'traveller', 'goods', 'known_at', 'basis', 'min_position', 'known_at_position')
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TRAVELLER_FIELD_NUMBER: _ClassVar[int]
    GOODS_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    MIN_POSITION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AT_POSITION_FIELD_NUMBER: _ClassVar[int]
    offices: _containers.RepeatedScalarFieldContainer[str]
    valid_from: str
    valid_to: str
    direction: Direction
    channel: Channel
    traveller: Traveller
    goods: str
    known_at: str
    basis: Basis
    min_position: int
    known_at_position: int

    def __init__(self, offices: _Optional[_Iterable[str]]=..., valid_from: _Optional[str]=..., valid_to: _Optional[str]=..., direction: _Optional[_Union[Direction, str]]=..., channel: _Optional[_Union[Channel, str]]=..., traveller: _Optional[_Union[Traveller, str]]=..., goods: _Optional[str]=..., known_at: _Optional[str]=..., basis: _Optional[_Union[Basis, str]]=..., min_position: _Optional[int]=..., known_at_position: _Optional[int]=...) -> None:
        ...

class TimelineLevel(_message.Message):
    __slots__ = ('value', 'strictness', 'strictest', 'change_id', 'revision', 'kind')
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STRICTNESS_FIELD_NUMBER: _ClassVar[int]
    STRICTEST_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    value: str
    strictness: int
    strictest: int
    change_id: str
    revision: int
    kind: ChangeKind

    def __init__(self, value: _Optional[str]=..., strictness: _Optional[int]=..., strictest: _Optional[int]=..., change_id: _Optional[str]=..., revision: _Optional[int]=..., kind: _Optional[_Union[ChangeKind, str]]=...) -> None:
        ...

class TimelineInterval(_message.Message):
    __slots__ = ('valid_from', 'valid_to', 'level', 'uncertain', 'pending')
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    UNCERTAIN_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    valid_from: str
    valid_to: str
    level: TimelineLevel
    uncertain: bool
    pending: TimelineLevel

    def __init__(self, valid_from: _Optional[str]=..., valid_to: _Optional[str]=..., level: _Optional[_Union[TimelineLevel, _Mapping]]=..., uncertain: _Optional[bool]=..., pending: _Optional[_Union[TimelineLevel, _Mapping]]=...) -> None:
        ...

class TimelineBand(_message.Message):
    __slots__ = ('scope', 'dimension', 'intervals')
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    INTERVALS_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    dimension: Dimension
    intervals: _containers.RepeatedCompositeFieldContainer[TimelineInterval]

    def __init__(self, scope: _Optional[_Union[Scope, _Mapping]]=..., dimension: _Optional[_Union[Dimension, str]]=..., intervals: _Optional[_Iterable[_Union[TimelineInterval, _Mapping]]]=...) -> None:
        ...

class TimelineAmendment(_message.Message):
    __slots__ = ('revision', 'measure', 'effective', 'recorded_at', 'reported_on')
    REVISION_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    revision: int
    measure: Measure
    effective: EffectiveDate
    recorded_at: _timestamp_pb2.Timestamp
    reported_on: str

    def __init__(self, revision: _Optional[int]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., reported_on: _Optional[str]=...) -> None:
        ...

class TimelineChange(_message.Message):
    __slots__ = ('change_id', 'kind', 'scope', 'measure', 'effective', 'window_start', 'window_end', 'recorded_at', 'reported_on', 'sources', 'amendments', 'retracted_at', 'retracted_on')
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    AMENDMENTS_FIELD_NUMBER: _ClassVar[int]
    RETRACTED_AT_FIELD_NUMBER: _ClassVar[int]
    RETRACTED_ON_FIELD_NUMBER: _ClassVar[int]
    change_id: str
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    window_start: str
    window_end: str
    recorded_at: _timestamp_pb2.Timestamp
    reported_on: str
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    amendments: _containers.RepeatedCompositeFieldContainer[TimelineAmendment]
    retracted_at: _timestamp_pb2.Timestamp
    retracted_on: str

    def __init__(self, change_id: _Optional[str]=..., kind: _Optional[_Union[ChangeKind, str]]=..., scope: _Optional[_Union[Scope, _Mapping]]=..., measure: _Optional[_Union[Measure, _Mapping]]=..., effective: _Optional[_Union[EffectiveDate, _Mapping]]=..., window_start: _Optional[str]=..., window_end: _Optional[str]=..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., reported_on: _Optional[str]=..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]]=..., amendments: _Optional[_Iterable[_Union[TimelineAmendment, _Mapping]]]=..., retracted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]=..., retracted_on: _Optional[str]=...) -> None:
        ...

class GetTimelineResponse(_message.Message):
    __slots__ = ('office', 'bands', 'changes', 'position', 'digest')
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    office: str
    bands: _containers.RepeatedCompositeFieldContainer[TimelineBand]
    changes: _containers.RepeatedCompositeFieldContainer[TimelineChange]
    position: int
    digest: str

    def __init__(self, office: _Optional[str]=..., bands: _Optional[_Iterable[_Union[TimelineBand, _Mapping]]]=..., changes: _Optional[_Iterable[_Union[TimelineChange, _Mapping]]]=..., position: _Optional[int]=..., digest: _Optional[str]=...) -> None:
        ...