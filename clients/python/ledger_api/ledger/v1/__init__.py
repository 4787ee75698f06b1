"""Generated from ``protos/ledger/v1/ledger.proto`` by ``make generate``: never edit by hand."""
