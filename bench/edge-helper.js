#!/usr/bin/env node
/**
 * A child of the edge bench (bench/edge.js), forked with its role as the first argument:
 *   upstream <certFile> <keyFile>  the local service: 1 KiB answers over HTTP and HTTPS (keep-alive);
 *   bridge <engineDir> <configFile> <exposures.json>
 *                                  a Porthole bridge that asks its portal for the exposures (the CLI
 *                                  has no way to), and answers `status` with their public ports.
 * It speaks bench/lib/procs.js's forkHelper protocol: {type: 'ready', …}, then {id, op, args} calls.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { startBridgeInstance } from './lib/exposure-pair.js';

const BODY = Buffer.alloc(1024, 0x61);
const [role, ...args] = process.argv.slice(2);

function answer(_req, res) {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BODY.length });
  res.end(BODY);
}

function listen(server) {
  // The edge keeps idle upstream streams up to the service's Keep-Alive timeout − 1 s: say 60 s.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

async function upstream([certFile, keyFile]) {
  // Connections the service accepted: whether the edge reuses its streams to the service.
  const connections = { http: 0, https: 0 };
  const plainServer = http.createServer(answer).on('connection', () => { connections.http += 1; });
  const secureServer = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, answer).on('connection', () => { connections.https += 1; });
  process.send({ type: 'ready', http: await listen(plainServer), https: await listen(secureServer) });
  return { stats: () => ({ ...connections }) };
}

async function bridge([engineDir, configFile, exposuresFile]) {
  const { instance, exposures } = await startBridgeInstance(engineDir, configFile, exposuresFile);
  process.send({ type: 'ready' });
  return {
    status: () => Object.fromEntries(exposures.map(({ id }) => [id, instance.exposures.status(id)])),
  };
}

const ops = role === 'upstream' ? await upstream(args) : role === 'bridge' ? await bridge(args) : undefined;
if (!ops) {
  console.error(`edge-helper: unknown role "${role}" (upstream or bridge)`);
  process.exit(2);
}
process.on('message', async ({ id, op, args: callArgs }) => {
  try {
    const handler = ops[op];
    if (!handler) throw new Error(`unknown op ${op}`);
    process.send({ id, ok: true, result: await handler(callArgs) });
  } catch (error) {
    process.send({ id, ok: false, error: error.message });
  }
});
process.on('disconnect', () => process.exit(0));
