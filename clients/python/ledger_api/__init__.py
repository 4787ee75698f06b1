"""What the ledger's server and its clients share: the API itself.

- ``ledger_api.ledger.v1``: the gRPC stubs generated from ``protos/ledger/v1/ledger.proto``
  (shipped, so installing needs no code generator);
- ``ledger_api.convert``: protobuf messages to plain data and back, driven by the descriptors;
- ``ledger_api.verify``: the auditor's side of the hash chain, from its published definition;
- ``ledger_api.verify_decisions``: the same for the decision log's chain;
- ``ledger_api.commands``: the command-file format (JSON lines) and request ids.

Nothing here imports the server (``ledger``) or the client library (``ledger_client``); both
import this. Importing the package loads nothing: each module is imported when needed.
"""
