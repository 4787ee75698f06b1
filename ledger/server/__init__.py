"""The gRPC service: a thin adapter over the ledger (``ledger.v1.PolicyLedger``)."""
