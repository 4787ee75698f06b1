// A non-Python client of the ledger server, for the interoperability test
// (tests/interop/test_node_client.py): @grpc/grpc-js with @grpc/proto-loader, loading the
// repository's .proto file at run time.
//
//   LEDGER_NODE_MODULES=$PWD/.tools/node_modules node tests/interop/ledger-client.mjs HOST:PORT
//
// Optional, for a server with tokens or TLS (the same variables as the `ledger` CLI):
//   LEDGER_TOKEN            a bearer token, sent with every ledger call
//   LEDGER_TLS_CA           PEM file of the CA to trust: connect with TLS
//   LEDGER_CLIENT_TLS_CERT  PEM client certificate, and LEDGER_CLIENT_TLS_KEY its key (mutual TLS)
//
// It asks the server four things and prints ONE JSON object on stdout:
//   health   grpc.health.v1.Health/Check for the whole server ("")
//   check    PolicyLedger/Check: a worker's rice cooker leaving Dandong on 2025-03-20
//   history  PolicyLedger/GetHistory for CN-DANDONG, two events per message
//   bad_date PolicyLedger/Check on 2025-02-30: the status code, message and BadRequest fields
// Exits 0; on any other failure exits 1 with the error on stderr (2 for a usage error).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROTOS = path.join(REPO, 'protos');
const OFFICE = 'CN-DANDONG';
const DEADLINE_MS = 10_000;

// The standard health service (grpc-js does not ship it), and the google.rpc error model
// (the subset this client reads) for the status details the server sends on refusals.
const INLINE_PROTOS = {
  'grpc/health/v1/health.proto': `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`,
  'google/rpc/status.proto': `
syntax = "proto3";
package google.rpc;
import "google/protobuf/any.proto";
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
`,
  'google/rpc/error_details.proto': `
syntax = "proto3";
package google.rpc;
message BadRequest {
  message FieldViolation {
    string field = 1;
    string description = 2;
  }
  repeated FieldViolation field_violations = 1;
}
`,
};

const LOADER_OPTIONS = {
  keepCase: true,
  enums: String,
  longs: String,
  defaults: false,
  oneofs: true,
};

class UsageError extends Error {}

function loadModules() {
  const folder = process.env.LEDGER_NODE_MODULES;
  if (!folder) {
    throw new UsageError(
      'LEDGER_NODE_MODULES is not set: point it at a node_modules folder holding ' +
        '@grpc/grpc-js and @grpc/proto-loader (`make node` installs them in .tools/node_modules)',
    );
  }
  // ESM ignores NODE_PATH: resolve the packages as a file inside that folder would.
  const require = createRequire(path.join(path.resolve(folder), 'noop.js'));
  const grpc = require('@grpc/grpc-js');
  const protoLoader = require('@grpc/proto-loader');
  // protobufjs as proto-loader itself resolves it, to decode google.rpc.Status details.
  const protobuf = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs');
  return { grpc, protoLoader, protobuf };
}

function writeInlineProtos(folder) {
  for (const [name, text] of Object.entries(INLINE_PROTOS)) {
    const file = path.join(folder, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

function deadline() {
  return new Date(Date.now() + DEADLINE_MS);
}

// TLS when LEDGER_TLS_CA is set, the token then riding on the channel credentials (grpc-js
// sends call credentials over TLS only); over plaintext, the token goes in each call's metadata.
function connection(grpc) {
  const token = process.env.LEDGER_TOKEN || '';
  const metadata = new grpc.Metadata();
  const ca = process.env.LEDGER_TLS_CA;
  if (!ca) {
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return { credentials: grpc.credentials.createInsecure(), metadata };
  }
  const [cert, key] = ['LEDGER_CLIENT_TLS_CERT', 'LEDGER_CLIENT_TLS_KEY'].map((name) =>
    process.env[name] ? fs.readFileSync(process.env[name]) : null,
  );
  let credentials = grpc.credentials.createSsl(fs.readFileSync(ca), key, cert);
  if (token) {
    const bearer = grpc.credentials.createFromMetadataGenerator((_, callback) => {
      const sent = new grpc.Metadata();
      sent.set('authorization', `Bearer ${token}`);
      callback(null, sent);
    });
    credentials = grpc.credentials.combineChannelCredentials(credentials, bearer);
  }
  return { credentials, metadata };
}

function unary(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: deadline() }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

function serverStream(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    const messages = [];
    const call = client[method](request, metadata, { deadline: deadline() });
    call.on('data', (message) => messages.push(message));
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

// The google.rpc.Status a server attaches to a failed call, with BadRequest details decoded.
function statusDetails(error, rpcRoot) {
  const values = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
  if (!values.length) {
    return { status_code: null, status_message: null, field_violations: [] };
  }
  const Status = rpcRoot.lookupType('google.rpc.Status');
  const BadRequest = rpcRoot.lookupType('google.rpc.BadRequest');
  const status = Status.decode(values[0]);
  const field_violations = [];
  for (const any of status.details) {
    if (any.type_url.endsWith('/google.rpc.BadRequest')) {
      for (const violation of BadRequest.decode(any.value).field_violations) {
        field_violations.push({ field: violation.field, description: violation.description });
      }
    }
  }
  return { status_code: status.code, status_message: status.message, field_violations };
}

function checkRequest(at) {
  return {
    office: OFFICE,
    at,
    direction: 'DIRECTION_OUTBOUND',
    channel: 'CHANNEL_PERSONAL_BAGGAGE',
    traveller: 'TRAVELLER_WORKER',
    items: [{ goods: '8516.60', quantity: 1 }],
  };
}

async function run(address, folder) {
  const { grpc, protoLoader, protobuf } = loadModules();
  writeInlineProtos(folder);
  const definition = protoLoader.loadSync(
    ['ledger/v1/ledger.proto', 'grpc/health/v1/health.proto'],
    { ...LOADER_OPTIONS, includeDirs: [PROTOS, folder] },
  );
  const loaded = grpc.loadPackageDefinition(definition);
  const rpcRoot = new protobuf.Root().loadSync(
    ['google/rpc/status.proto', 'google/rpc/error_details.proto'].map((name) =>
      path.join(folder, name),
    ),
    { keepCase: true },
  );

  const { credentials, metadata } = connection(grpc);
  const health = new loaded.grpc.health.v1.Health(address, credentials);
  const ledger = new loaded.ledger.v1.PolicyLedger(address, credentials);
  try {
    // (a) The standard health check, for the server as a whole.
    const healthResponse = await unary(health, 'Check', { service: '' }, new grpc.Metadata());

    // (b) A worker's rice cooker leaving Dandong on 2025-03-20: banned since early March.
    const checked = await unary(ledger, 'Check', checkRequest('2025-03-20'), metadata);
    const item = (checked.items || [])[0] || {};
    const sources = item.sources || [];

    // (c) Dandong's whole history, two events per message.
    const messages = await serverStream(
      ledger,
      'GetHistory',
      { office: OFFICE, batch_size: 2 },
      metadata,
    );
    const events = messages.flatMap((message) => message.events || []);

    // (d) A date that does not exist.
    let badDate;
    try {
      const response = await unary(ledger, 'Check', checkRequest('2025-02-30'), metadata);
      badDate = { code: grpc.status.OK, details: '', response };
    } catch (error) {
      if (typeof error.code !== 'number') throw error;
      badDate = {
        code: error.code,
        code_name: grpc.status[error.code],
        details: error.details,
        ...statusDetails(error, rpcRoot),
      };
    }

    return {
      health: { status: healthResponse.status },
      check: {
        office: checked.office,
        items: (checked.items || []).length,
        verdict: item.verdict,
        enforcement: item.enforcement,
        inspection: item.inspection,
        quantity: item.item ? item.item.quantity : undefined,
        published: sources.length ? sources[0].published : undefined,
      },
      history: {
        messages: messages.length,
        message_sizes: messages.map((message) => (message.events || []).length),
        events: events.length,
        types: events.map((event) => event.type),
        office_versions: events.map((event) => event.office_version),
      },
      bad_date: badDate,
    };
  } finally {
    health.close();
    ledger.close();
  }
}

async function main() {
  const address = process.argv[2];
  if (!address) {
    throw new UsageError('usage: node tests/interop/ledger-client.mjs HOST:PORT');
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-interop-'));
  try {
    const report = await run(address, folder);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const code = typeof error.code === 'number' ? ` (gRPC status ${error.code})` : '';
    process.stderr.write(`ledger-client failed${code}: ${error.stack || error}\n`);
    process.exitCode = 1;
  },
);
