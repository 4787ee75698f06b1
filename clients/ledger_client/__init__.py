"""Python client of the ledger's gRPC service (arrives with the service; see the README)."""
