"""Client and server classes corresponding to protobuf-defined services."""
import grpc
import warnings
from ...ledger.v1 import ledger_pb2 as ledger_dot_v1_dot_ledger__pb2
GRPC_GENERATED_VERSION = '1.85.1'
GRPC_VERSION = grpc.__version__
_version_not_supported = False
try:
    from grpc._utilities import first_version_is_lower
    _version_not_supported = first_version_is_lower(GRPC_VERSION, GRPC_GENERATED_VERSION)
except ImportError:
    _version_not_supported = True
if _version_not_supported:
    raise RuntimeError(f'The grpc package installed is at version {GRPC_VERSION},' + ' but the generated code in ledger/v1/ledger_pb2_grpc.py depends on' + f' grpcio>={GRPC_GENERATED_VERSION}.' + f' Please upgrade your grpc module to grpcio>={GRPC_GENERATED_VERSION}' + f' or downgrade your generated code using grpcio-tools<={GRPC_VERSION}.')

class PolicyLedgerStub:
    """The ledger's service: commands, queries and a live feed of events.
    """

    def __init__(self, channel):
        """Constructor.

        Args:
            channel: A grpc.Channel.
        """
        self.RegisterOffice = channel.unary_unary('/ledger.v1.PolicyLedger/RegisterOffice', request_serializer=ledger_dot_v1_dot_ledger__pb2.RegisterOfficeRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.RegisterOfficeResponse.FromString, _registered_method=True)
        self.GetOffice = channel.unary_unary('/ledger.v1.PolicyLedger/GetOffice', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetOfficeRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetOfficeResponse.FromString, _registered_method=True)
        self.ListOffices = channel.unary_unary('/ledger.v1.PolicyLedger/ListOffices', request_serializer=ledger_dot_v1_dot_ledger__pb2.ListOfficesRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ListOfficesResponse.FromString, _registered_method=True)
        self.RecordObservation = channel.unary_unary('/ledger.v1.PolicyLedger/RecordObservation', request_serializer=ledger_dot_v1_dot_ledger__pb2.RecordObservationRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordObservationResponse.FromString, _registered_method=True)
        self.RecordTightening = channel.unary_unary('/ledger.v1.PolicyLedger/RecordTightening', request_serializer=ledger_dot_v1_dot_ledger__pb2.RecordTighteningRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordTighteningResponse.FromString, _registered_method=True)
        self.RecordLoosening = channel.unary_unary('/ledger.v1.PolicyLedger/RecordLoosening', request_serializer=ledger_dot_v1_dot_ledger__pb2.RecordLooseningRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordLooseningResponse.FromString, _registered_method=True)
        self.AmendChange = channel.unary_unary('/ledger.v1.PolicyLedger/AmendChange', request_serializer=ledger_dot_v1_dot_ledger__pb2.AmendChangeRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.AmendChangeResponse.FromString, _registered_method=True)
        self.RetractChange = channel.unary_unary('/ledger.v1.PolicyLedger/RetractChange', request_serializer=ledger_dot_v1_dot_ledger__pb2.RetractChangeRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.RetractChangeResponse.FromString, _registered_method=True)
        self.ImportCommands = channel.stream_unary('/ledger.v1.PolicyLedger/ImportCommands', request_serializer=ledger_dot_v1_dot_ledger__pb2.ImportCommandsRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ImportCommandsResponse.FromString, _registered_method=True)
        self.GetHistory = channel.unary_stream('/ledger.v1.PolicyLedger/GetHistory', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetHistoryRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetHistoryResponse.FromString, _registered_method=True)
        self.GetRuleState = channel.unary_unary('/ledger.v1.PolicyLedger/GetRuleState', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetRuleStateRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetRuleStateResponse.FromString, _registered_method=True)
        self.Check = channel.unary_unary('/ledger.v1.PolicyLedger/Check', request_serializer=ledger_dot_v1_dot_ledger__pb2.CheckRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.CheckResponse.FromString, _registered_method=True)
        self.CompareOffices = channel.unary_unary('/ledger.v1.PolicyLedger/CompareOffices', request_serializer=ledger_dot_v1_dot_ledger__pb2.CompareOfficesRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.CompareOfficesResponse.FromString, _registered_method=True)
        self.Watch = channel.unary_stream('/ledger.v1.PolicyLedger/Watch', request_serializer=ledger_dot_v1_dot_ledger__pb2.WatchRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchResponse.FromString, _registered_method=True)
        self.Ping = channel.unary_unary('/ledger.v1.PolicyLedger/Ping', request_serializer=ledger_dot_v1_dot_ledger__pb2.PingRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.PingResponse.FromString, _registered_method=True)
        self.GetDigest = channel.unary_unary('/ledger.v1.PolicyLedger/GetDigest', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetDigestRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetDigestResponse.FromString, _registered_method=True)
        self.VerifyDigest = channel.unary_unary('/ledger.v1.PolicyLedger/VerifyDigest', request_serializer=ledger_dot_v1_dot_ledger__pb2.VerifyDigestRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.VerifyDigestResponse.FromString, _registered_method=True)
        self.GetInclusionProof = channel.unary_unary('/ledger.v1.PolicyLedger/GetInclusionProof', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetInclusionProofRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetInclusionProofResponse.FromString, _registered_method=True)
        self.GetConsistencyProof = channel.unary_unary('/ledger.v1.PolicyLedger/GetConsistencyProof', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofResponse.FromString, _registered_method=True)
        self.ListCheckpoints = channel.unary_unary('/ledger.v1.PolicyLedger/ListCheckpoints', request_serializer=ledger_dot_v1_dot_ledger__pb2.ListCheckpointsRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ListCheckpointsResponse.FromString, _registered_method=True)
        self.ExportLedger = channel.unary_stream('/ledger.v1.PolicyLedger/ExportLedger', request_serializer=ledger_dot_v1_dot_ledger__pb2.ExportLedgerRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ExportLedgerResponse.FromString, _registered_method=True)
        self.ListUpcoming = channel.unary_unary('/ledger.v1.PolicyLedger/ListUpcoming', request_serializer=ledger_dot_v1_dot_ledger__pb2.ListUpcomingRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ListUpcomingResponse.FromString, _registered_method=True)
        self.WatchEffective = channel.unary_stream('/ledger.v1.PolicyLedger/WatchEffective', request_serializer=ledger_dot_v1_dot_ledger__pb2.WatchEffectiveRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchEffectiveResponse.FromString, _registered_method=True)
        self.GetDecision = channel.unary_unary('/ledger.v1.PolicyLedger/GetDecision', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetDecisionRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetDecisionResponse.FromString, _registered_method=True)
        self.ListDecisions = channel.unary_unary('/ledger.v1.PolicyLedger/ListDecisions', request_serializer=ledger_dot_v1_dot_ledger__pb2.ListDecisionsRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ListDecisionsResponse.FromString, _registered_method=True)
        self.ReplayDecision = channel.unary_unary('/ledger.v1.PolicyLedger/ReplayDecision', request_serializer=ledger_dot_v1_dot_ledger__pb2.ReplayDecisionRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ReplayDecisionResponse.FromString, _registered_method=True)
        self.GetImpact = channel.unary_unary('/ledger.v1.PolicyLedger/GetImpact', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetImpactRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetImpactResponse.FromString, _registered_method=True)
        self.WatchImpacts = channel.unary_stream('/ledger.v1.PolicyLedger/WatchImpacts', request_serializer=ledger_dot_v1_dot_ledger__pb2.WatchImpactsRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchImpactsResponse.FromString, _registered_method=True)
        self.ExportDecisions = channel.unary_stream('/ledger.v1.PolicyLedger/ExportDecisions', request_serializer=ledger_dot_v1_dot_ledger__pb2.ExportDecisionsRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.ExportDecisionsResponse.FromString, _registered_method=True)
        self.GetTimeline = channel.unary_stream('/ledger.v1.PolicyLedger/GetTimeline', request_serializer=ledger_dot_v1_dot_ledger__pb2.GetTimelineRequest.SerializeToString, response_deserializer=ledger_dot_v1_dot_ledger__pb2.GetTimelineResponse.FromString, _registered_method=True)

class PolicyLedgerServicer:
    """The ledger's service: commands, queries and a live feed of events.
    """

    def RegisterOffice(self, request, context):
        """Registers a customs office. Idempotent by request id.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetOffice(self, request, context):
        """One office, with its current version.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ListOffices(self, request, context):
        """Every registered office, by code.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def RecordObservation(self, request, context):
        """Records the rule as reported at a date, no change claimed (a baseline).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def RecordTightening(self, request, context):
        """Records a tightening: no dimension may be looser than the state it replaces.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def RecordLoosening(self, request, context):
        """Records a loosening: no dimension may be stricter than the state it replaces.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def AmendChange(self, request, context):
        """Corrects an earlier change's effective date or measure.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def RetractChange(self, request, context):
        """Withdraws an earlier change.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ImportCommands(self, request_iterator, context):
        """Stores a batch of commands whole, or refuses it whole naming every refused command.
        The client streams the batch in chunks; the server answers once, after the last.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetHistory(self, request, context):
        """An office's events in the order recorded, many per message, filtered on both time axes.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetRuleState(self, request, context):
        """Every scope's rule at an office on a date, as known at a knowledge time.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def Check(self, request, context):
        """Was this allowed at that office on that date, as known then? One answer per item.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def CompareOffices(self, request, context):
        """The same check at several offices, least restrictive first.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def Watch(self, request, context):
        """Every event after a global position: first the ones already recorded, then new ones as
        they are recorded. Reconnect with the last position seen to miss nothing and see
        nothing twice.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def Ping(self, request, context):
        """Does nothing: a baseline for measuring the cost of the other calls.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetDigest(self, request, context):
        """The ledger digest now: the last position and the root chaining every event up to it.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def VerifyDigest(self, request, context):
        """Is a digest pinned earlier a prefix of the ledger now? Refused with FAILED_PRECONDITION
        when it is not (the log was rewritten or truncated).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetInclusionProof(self, request, context):
        """That the event at a position is in the Merkle tree over the log (RFC 9162) of a size:
        the event as stored, the tree's head and about log2(size) hashes. The client checks it
        with its own code, without the log (README, "Audit").
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetConsistencyProof(self, request, context):
        """That the Merkle tree of one size extends the tree of a smaller size (nothing before it
        was changed or removed): the two heads and about log2(size) hashes.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ListCheckpoints(self, request, context):
        """Signed checkpoints in tree order: every event of the log is in the range of one
        (README, Audit).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ExportLedger(self, request, context):
        """Every event as stored, in log order, many per message, from a position: what an auditor
        replays to check every hash, link and the digest without trusting the server.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ListUpcoming(self, request, context):
        """The changes (as known now) whose effective window starts, or ends (from when they are
        certainly in force), between two dates, at some offices or all; by date, paged.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def WatchEffective(self, request, context):
        """A notice each time the server's date reaches a change's window start or window end;
        a change recorded after its date has passed is announced at once, marked late.
        Resumable: reconnect with the last response's resume point.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetDecision(self, request, context):
        """A logged decision, by its id (a Check or CompareOffices reply's decision_id).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ListDecisions(self, request, context):
        """Logged decisions in the order logged, filtered by office, label, time asked and ledger
        position; paged.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ReplayDecision(self, request, context):
        """A logged decision answered again: as known at its ledger position (which must give the
        logged answer: a check of the log) and as known now (the difference, if any).
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetImpact(self, request, context):
        """The logged decisions whose answer a recorded event changed, each with its answer before
        and after the event.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def WatchImpacts(self, request, context):
        """Impacts of events as they are recorded: first those of events after a position already
        recorded, then new ones. Reconnect with the last resume_position to miss nothing.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def ExportDecisions(self, request, context):
        """Every logged decision as stored, in the order logged, from a sequence number: what an
        auditor replays to check each decision's hash and link.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

    def GetTimeline(self, request, context):
        """Offices' timelines: for each scope and dimension, the intervals of the rule in force over
        a range of valid time, as known at a knowledge time; and the changes behind them. One or
        more messages per office, in the order asked.
        """
        context.set_code(grpc.StatusCode.UNIMPLEMENTED)
        context.set_details('Method not implemented!')
        raise NotImplementedError('Method not implemented!')

def add_PolicyLedgerServicer_to_server(servicer, server):
    rpc_method_handlers = {'RegisterOffice': grpc.unary_unary_rpc_method_handler(servicer.RegisterOffice, request_deserializer=ledger_dot_v1_dot_ledger__pb2.RegisterOfficeRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.RegisterOfficeResponse.SerializeToString), 'GetOffice': grpc.unary_unary_rpc_method_handler(servicer.GetOffice, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetOfficeRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetOfficeResponse.SerializeToString), 'ListOffices': grpc.unary_unary_rpc_method_handler(servicer.ListOffices, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ListOfficesRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ListOfficesResponse.SerializeToString), 'RecordObservation': grpc.unary_unary_rpc_method_handler(servicer.RecordObservation, request_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordObservationRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.RecordObservationResponse.SerializeToString), 'RecordTightening': grpc.unary_unary_rpc_method_handler(servicer.RecordTightening, request_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordTighteningRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.RecordTighteningResponse.SerializeToString), 'RecordLoosening': grpc.unary_unary_rpc_method_handler(servicer.RecordLoosening, request_deserializer=ledger_dot_v1_dot_ledger__pb2.RecordLooseningRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.RecordLooseningResponse.SerializeToString), 'AmendChange': grpc.unary_unary_rpc_method_handler(servicer.AmendChange, request_deserializer=ledger_dot_v1_dot_ledger__pb2.AmendChangeRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.AmendChangeResponse.SerializeToString), 'RetractChange': grpc.unary_unary_rpc_method_handler(servicer.RetractChange, request_deserializer=ledger_dot_v1_dot_ledger__pb2.RetractChangeRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.RetractChangeResponse.SerializeToString), 'ImportCommands': grpc.stream_unary_rpc_method_handler(servicer.ImportCommands, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ImportCommandsRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ImportCommandsResponse.SerializeToString), 'GetHistory': grpc.unary_stream_rpc_method_handler(servicer.GetHistory, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetHistoryRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetHistoryResponse.SerializeToString), 'GetRuleState': grpc.unary_unary_rpc_method_handler(servicer.GetRuleState, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetRuleStateRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetRuleStateResponse.SerializeToString), 'Check': grpc.unary_unary_rpc_method_handler(servicer.Check, request_deserializer=ledger_dot_v1_dot_ledger__pb2.CheckRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.CheckResponse.SerializeToString), 'CompareOffices': grpc.unary_unary_rpc_method_handler(servicer.CompareOffices, request_deserializer=ledger_dot_v1_dot_ledger__pb2.CompareOfficesRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.CompareOfficesResponse.SerializeToString), 'Watch': grpc.unary_stream_rpc_method_handler(servicer.Watch, request_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.WatchResponse.SerializeToString), 'Ping': grpc.unary_unary_rpc_method_handler(servicer.Ping, request_deserializer=ledger_dot_v1_dot_ledger__pb2.PingRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.PingResponse.SerializeToString), 'GetDigest': grpc.unary_unary_rpc_method_handler(servicer.GetDigest, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetDigestRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetDigestResponse.SerializeToString), 'VerifyDigest': grpc.unary_unary_rpc_method_handler(servicer.VerifyDigest, request_deserializer=ledger_dot_v1_dot_ledger__pb2.VerifyDigestRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.VerifyDigestResponse.SerializeToString), 'GetInclusionProof': grpc.unary_unary_rpc_method_handler(servicer.GetInclusionProof, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetInclusionProofRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetInclusionProofResponse.SerializeToString), 'GetConsistencyProof': grpc.unary_unary_rpc_method_handler(servicer.GetConsistencyProof, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofResponse.SerializeToString), 'ListCheckpoints': grpc.unary_unary_rpc_method_handler(servicer.ListCheckpoints, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ListCheckpointsRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ListCheckpointsResponse.SerializeToString), 'ExportLedger': grpc.unary_stream_rpc_method_handler(servicer.ExportLedger, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ExportLedgerRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ExportLedgerResponse.SerializeToString), 'ListUpcoming': grpc.unary_unary_rpc_method_handler(servicer.ListUpcoming, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ListUpcomingRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ListUpcomingResponse.SerializeToString), 'WatchEffective': grpc.unary_stream_rpc_method_handler(servicer.WatchEffective, request_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchEffectiveRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.WatchEffectiveResponse.SerializeToString), 'GetDecision': grpc.unary_unary_rpc_method_handler(servicer.GetDecision, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetDecisionRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetDecisionResponse.SerializeToString), 'ListDecisions': grpc.unary_unary_rpc_method_handler(servicer.ListDecisions, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ListDecisionsRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ListDecisionsResponse.SerializeToString), 'ReplayDecision': grpc.unary_unary_rpc_method_handler(servicer.ReplayDecision, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ReplayDecisionRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ReplayDecisionResponse.SerializeToString), 'GetImpact': grpc.unary_unary_rpc_method_handler(servicer.GetImpact, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetImpactRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetImpactResponse.SerializeToString), 'WatchImpacts': grpc.unary_stream_rpc_method_handler(servicer.WatchImpacts, request_deserializer=ledger_dot_v1_dot_ledger__pb2.WatchImpactsRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.WatchImpactsResponse.SerializeToString), 'ExportDecisions': grpc.unary_stream_rpc_method_handler(servicer.ExportDecisions, request_deserializer=ledger_dot_v1_dot_ledger__pb2.ExportDecisionsRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.ExportDecisionsResponse.SerializeToString), 'GetTimeline': grpc.unary_stream_rpc_method_handler(servicer.GetTimeline, request_deserializer=ledger_dot_v1_dot_ledger__pb2.GetTimelineRequest.FromString, response_serializer=ledger_dot_v1_dot_ledger__pb2.GetTimelineResponse.SerializeToString)}
    generic_handler = grpc.method_handlers_generic_handler('ledger.v1.PolicyLedger', rpc_method_handlers)
    server.add_generic_rpc_handlers((generic_handler,))
    server.add_registered_method_handlers('ledger.v1.PolicyLedger', rpc_method_handlers)

class PolicyLedger:
    """The ledger's service: commands, queries and a live feed of events.
    """

    @staticmethod
    def RegisterOffice(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/RegisterOffice', ledger_dot_v1_dot_ledger__pb2.RegisterOfficeRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.RegisterOfficeResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetOffice(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetOffice', ledger_dot_v1_dot_ledger__pb2.GetOfficeRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetOfficeResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ListOffices(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/ListOffices', ledger_dot_v1_dot_ledger__pb2.ListOfficesRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ListOfficesResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def RecordObservation(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/RecordObservation', ledger_dot_v1_dot_ledger__pb2.RecordObservationRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.RecordObservationResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def RecordTightening(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/RecordTightening', ledger_dot_v1_dot_ledger__pb2.RecordTighteningRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.RecordTighteningResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def RecordLoosening(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/RecordLoosening', ledger_dot_v1_dot_ledger__pb2.RecordLooseningRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.RecordLooseningResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def AmendChange(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/AmendChange', ledger_dot_v1_dot_ledger__pb2.AmendChangeRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.AmendChangeResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def RetractChange(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/RetractChange', ledger_dot_v1_dot_ledger__pb2.RetractChangeRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.RetractChangeResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ImportCommands(request_iterator, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.stream_unary(request_iterator, target, '/ledger.v1.PolicyLedger/ImportCommands', ledger_dot_v1_dot_ledger__pb2.ImportCommandsRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ImportCommandsResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetHistory(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/GetHistory', ledger_dot_v1_dot_ledger__pb2.GetHistoryRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetHistoryResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetRuleState(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetRuleState', ledger_dot_v1_dot_ledger__pb2.GetRuleStateRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetRuleStateResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def Check(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/Check', ledger_dot_v1_dot_ledger__pb2.CheckRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.CheckResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def CompareOffices(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/CompareOffices', ledger_dot_v1_dot_ledger__pb2.CompareOfficesRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.CompareOfficesResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def Watch(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/Watch', ledger_dot_v1_dot_ledger__pb2.WatchRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.WatchResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def Ping(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/Ping', ledger_dot_v1_dot_ledger__pb2.PingRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.PingResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetDigest(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetDigest', ledger_dot_v1_dot_ledger__pb2.GetDigestRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetDigestResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def VerifyDigest(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/VerifyDigest', ledger_dot_v1_dot_ledger__pb2.VerifyDigestRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.VerifyDigestResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetInclusionProof(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetInclusionProof', ledger_dot_v1_dot_ledger__pb2.GetInclusionProofRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetInclusionProofResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetConsistencyProof(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetConsistencyProof', ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetConsistencyProofResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ListCheckpoints(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/ListCheckpoints', ledger_dot_v1_dot_ledger__pb2.ListCheckpointsRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ListCheckpointsResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ExportLedger(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/ExportLedger', ledger_dot_v1_dot_ledger__pb2.ExportLedgerRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ExportLedgerResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ListUpcoming(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/ListUpcoming', ledger_dot_v1_dot_ledger__pb2.ListUpcomingRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ListUpcomingResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def WatchEffective(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/WatchEffective', ledger_dot_v1_dot_ledger__pb2.WatchEffectiveRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.WatchEffectiveResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetDecision(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetDecision', ledger_dot_v1_dot_ledger__pb2.GetDecisionRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetDecisionResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ListDecisions(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/ListDecisions', ledger_dot_v1_dot_ledger__pb2.ListDecisionsRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ListDecisionsResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ReplayDecision(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/ReplayDecision', ledger_dot_v1_dot_ledger__pb2.ReplayDecisionRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ReplayDecisionResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetImpact(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_unary(request, target, '/ledger.v1.PolicyLedger/GetImpact', ledger_dot_v1_dot_ledger__pb2.GetImpactRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetImpactResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def WatchImpacts(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/WatchImpacts', ledger_dot_v1_dot_ledger__pb2.WatchImpactsRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.WatchImpactsResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def ExportDecisions(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/ExportDecisions', ledger_dot_v1_dot_ledger__pb2.ExportDecisionsRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.ExportDecisionsResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)

    @staticmethod
    def GetTimeline(request, target, options=(), channel_credentials=None, call_credentials=None, insecure=False, compression=None, wait_for_ready=None, timeout=None, metadata=None):
        return grpc.experimental.unary_stream(request, target, '/ledger.v1.PolicyLedger/GetTimeline', ledger_dot_v1_dot_ledger__pb2.GetTimelineRequest.SerializeToString, ledger_dot_v1_dot_ledger__pb2.GetTimelineResponse.FromString, options, channel_credentials, insecure, call_credentials, compression, wait_for_ready, timeout, metadata, _registered_method=True)