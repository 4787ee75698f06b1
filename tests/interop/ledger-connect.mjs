// A non-Python client of the ledger's HTTP port (`ledger serve --web`), for the interoperability
// test (tests/interop/test_node_connect.py): @connectrpc/connect-node over the Connect protocol
// (JSON and binary) and gRPC-Web, with no generated code: the service is described at run time
// from a descriptor set that `buf build` makes of the repository's protos/.
//
//   LEDGER_NODE_MODULES=$PWD/.tools/node_modules node tests/interop/ledger-connect.mjs \
//       http://127.0.0.1:8080/
//
// It asks the same questions through three transports and prints ONE JSON object on stdout:
//   connect_json, connect_binary (Connect protocol, HTTP/1.1, JSON or binary messages):
//     check      Check: a worker's rice cooker leaving Dandong on 2025-03-20 (prohibited)
//     uncertain  Check on 2025-03-05, inside the ban's early-March window: both candidates
//     history    GetHistory for CN-DANDONG, two events per message (server streaming)
//     not_found  Check at an office that is not registered: the Connect error
//     bad_date   Check on 2025-02-30: the Connect error and its google.rpc.BadRequest fields
//   grpc_web (gRPC-Web, HTTP/1.1, binary): check
// Exits 0; on any other failure exits 1 with the error on stderr (2 for a usage error).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROTOS = path.join(REPO, 'protos');
const SERVICE = 'ledger.v1.PolicyLedger';
const OFFICE = 'CN-DANDONG';
const UNKNOWN_OFFICE = 'CN-NOWHERE';
const TIMEOUT_MS = 10_000;

// The google.rpc error detail the server sends with a refused field (the subset read here;
// the wire format is that of googleapis' google/rpc/error_details.proto).
const ERROR_DETAILS = `
syntax = "proto3";
package google.rpc;
message BadRequest {
  message FieldViolation {
    string field = 1;
    string description = 2;
  }
  repeated FieldViolation field_violations = 1;
}
`;

class UsageError extends Error {}

function loadModules() {
  const folder = process.env.LEDGER_NODE_MODULES;
  if (!folder) {
    throw new UsageError(
      'LEDGER_NODE_MODULES is not set: point it at a node_modules folder holding ' +
        '@connectrpc/connect-node, @connectrpc/connect, @bufbuild/protobuf and @bufbuild/buf ' +
        '(`make node` installs them in .tools/node_modules)',
    );
  }
  // ESM ignores NODE_PATH: resolve the packages as a file inside that folder would. All three
  // through require (their CommonJS builds), so that they share one @bufbuild/protobuf.
  const require = createRequire(path.join(path.resolve(folder), 'noop.js'));
  return {
    protobuf: require('@bufbuild/protobuf'),
    wkt: require('@bufbuild/protobuf/wkt'),
    connect: require('@connectrpc/connect'),
    node: require('@connectrpc/connect-node'),
    buf: path.join(path.resolve(folder), '.bin', 'buf'),
  };
}

// `buf build INPUT -o OUT.binpb` (imports included: google/protobuf/timestamp.proto), read back.
function descriptorSet(buf, input, out) {
  const built = spawnSync(buf, ['build', input, '-o', out], { encoding: 'utf8' });
  if (built.error) throw built.error;
  if (built.status !== 0) {
    throw new Error(`buf build ${input} exited with ${built.status}: ${built.stderr}`);
  }
  return fs.readFileSync(out);
}

function registryOf({ protobuf, wkt, buf }, folder) {
  const ledger = descriptorSet(buf, PROTOS, path.join(folder, 'ledger.binpb'));
  const rpcFolder = path.join(folder, 'rpc');
  fs.mkdirSync(path.join(rpcFolder, 'google', 'rpc'), { recursive: true });
  fs.writeFileSync(path.join(rpcFolder, 'google', 'rpc', 'error_details.proto'), ERROR_DETAILS);
  const rpc = descriptorSet(buf, rpcFolder, path.join(folder, 'rpc.binpb'));
  const load = (bytes) =>
    protobuf.createFileRegistry(protobuf.fromBinary(wkt.FileDescriptorSetSchema, bytes));
  return protobuf.createFileRegistry(load(ledger), load(rpc));
}

function checkRequest(at, office = OFFICE) {
  // The request in the proto's JSON form; fromJson turns enum names into their numbers.
  return {
    office,
    at,
    direction: 'DIRECTION_OUTBOUND',
    channel: 'CHANNEL_PERSONAL_BAGGAGE',
    traveller: 'TRAVELLER_WORKER',
    items: [{ goods: '8516.60', quantity: 1 }],
  };
}

class Asker {
  constructor(modules, registry, transport) {
    const { protobuf, connect } = modules;
    this.protobuf = protobuf;
    this.connect = connect;
    this.registry = registry;
    this.service = registry.getService(SERVICE);
    if (!this.service) throw new Error(`${SERVICE} is not in the descriptor set`);
    this.client = connect.createClient(this.service, transport);
    this.badRequest = registry.getMessage('google.rpc.BadRequest');
  }

  method(name) {
    const found = this.service.methods.find((method) => method.name === name);
    if (!found) throw new Error(`${SERVICE} has no method ${name}`);
    return found;
  }

  // Check, its request built from JSON and its answer turned back into JSON (enum names).
  async check(at, office = OFFICE) {
    const method = this.method('Check');
    const request = this.protobuf.fromJson(method.input, checkRequest(at, office));
    const reply = await this.client[method.localName](request, { timeoutMs: TIMEOUT_MS });
    return this.protobuf.toJson(method.output, reply);
  }

  async history() {
    const method = this.method('GetHistory');
    const request = this.protobuf.fromJson(method.input, { office: OFFICE, batchSize: 2 });
    const messages = [];
    for await (const reply of this.client[method.localName](request, { timeoutMs: TIMEOUT_MS })) {
      messages.push(this.protobuf.toJson(method.output, reply));
    }
    const events = messages.flatMap((message) => message.events || []);
    return {
      messages: messages.length,
      message_sizes: messages.map((message) => (message.events || []).length),
      events: events.length,
      types: events.map((event) => event.type),
      // int64 in the proto's JSON form: a decimal string.
      office_versions: events.map((event) => event.officeVersion),
    };
  }

  // A call expected to fail: what the Connect error says, with its BadRequest details decoded.
  async refused(call) {
    try {
      const reply = await call();
      return { code: null, reply };
    } catch (thrown) {
      const error = this.connect.ConnectError.from(thrown);
      return {
        code: error.code,
        code_name: this.connect.Code[error.code],
        raw_message: error.rawMessage,
        message: error.message,
        detail_types: error.details.map((detail) => detail.type ?? detail.desc?.typeName),
        field_violations: error
          .findDetails(this.badRequest)
          .flatMap((detail) => detail.fieldViolations)
          .map((violation) => ({ field: violation.field, description: violation.description })),
      };
    }
  }
}

function summary(checked) {
  const item = (checked.items || [])[0] || {};
  const governing = item.governing || {};
  const source = (governing.sources || [])[0] || {};
  return {
    office: checked.office,
    items: (checked.items || []).length,
    verdict: item.verdict,
    inspection: item.inspection,
    enforcement: item.enforcement,
    quantity: item.item ? item.item.quantity : undefined,
    governing_change_id: governing.changeId,
    governing_published: source.published,
    governing_url: source.url,
    candidates: (item.candidates || []).map((candidate) => ({
      verdict: candidate.verdict,
      change_ids: [...new Set((candidate.rulings || []).map((ruling) => ruling.changeId))],
    })),
  };
}

async function askAll(asker) {
  return {
    check: summary(await asker.check('2025-03-20')),
    uncertain: summary(await asker.check('2025-03-05')),
    history: await asker.history(),
    not_found: await asker.refused(() => asker.check('2025-03-20', UNKNOWN_OFFICE)),
    bad_date: await asker.refused(() => asker.check('2025-02-30')),
  };
}

async function run(baseUrl, folder) {
  const modules = loadModules();
  const registry = registryOf(modules, folder);
  const { createConnectTransport, createGrpcWebTransport } = modules.node;
  const connect = (useBinaryFormat, seen) =>
    createConnectTransport({
      baseUrl,
      httpVersion: '1.1',
      useBinaryFormat,
      interceptors: [contentTypes(seen)],
    });
  const [json, binary, web] = [new Set(), new Set(), new Set()];
  const grpcWeb = createGrpcWebTransport({
    baseUrl,
    httpVersion: '1.1',
    useBinaryFormat: true,
    interceptors: [contentTypes(web)],
  });
  const report = {
    base_url: baseUrl,
    connect_json: await askAll(new Asker(modules, registry, connect(false, json))),
    connect_binary: await askAll(new Asker(modules, registry, connect(true, binary))),
    grpc_web: { check: summary(await new Asker(modules, registry, grpcWeb).check('2025-03-20')) },
  };
  report.connect_json.content_types = [...json].sort();
  report.connect_binary.content_types = [...binary].sort();
  report.grpc_web.content_types = [...web].sort();
  return report;
}

// An interceptor noting the Content-Type of every answer that arrives (errors included): what
// the server really spoke.
function contentTypes(seen) {
  return (next) => async (request) => {
    try {
      const response = await next(request);
      seen.add(response.header.get('content-type'));
      return response;
    } catch (error) {
      const type = error.metadata && error.metadata.get('content-type');
      if (type) seen.add(type);
      throw error;
    }
  };
}

async function main() {
  const baseUrl = process.argv[2];
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) {
    throw new UsageError('usage: node tests/interop/ledger-connect.mjs http://HOST:PORT/');
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-connect-'));
  try {
    const report = await run(baseUrl, folder);
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
    process.stderr.write(`ledger-connect failed: ${error.stack || error}\n`);
    process.exitCode = 1;
  },
);
