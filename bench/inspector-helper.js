#!/usr/bin/env node
/**
 * A child of the inspector bench (bench/inspector.js), forked with its role as the first argument:
 *   upstream                       the local service over HTTP/1.1 keep-alive: `GET /` answers
 *                                  1 KiB, `GET /bulk?bytes=N` answers N bytes, `POST /bulk` reads
 *                                  the body and answers its size;
 *   bridge <engineDir> <configFile> <exposures.json>
 *                                  a Porthole bridge that asks its portal for the exposures; `status`
 *                                  gives their public ports, `capture` switches the request
 *                                  inspector on or off, `captured` counts its entries.
 * It speaks bench/lib/procs.js's forkHelper protocol: {type: 'ready', …}, then {id, op, args} calls.
 */
import http from 'node:http';
import { BLOCK, writeBulk } from './lib/protocol.js';
import { startBridgeInstance } from './lib/exposure-pair.js';

const BODY = Buffer.alloc(1024, 0x61);
const [role, ...args] = process.argv.slice(2);

function serve(req, res) {
  const url = new URL(req.url ?? '/', 'http://service');
  if (req.method === 'POST') {
    let size = 0;
    req.on('data', (chunk) => { size += chunk.length; });
    req.on('end', () => res.end(String(size)));
    return;
  }
  if (url.pathname === '/bulk') {
    const bytes = Number(url.searchParams.get('bytes') ?? 0);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes });
    // The response's socket with backpressure, as a real file server writes it.
    writeBulk(res, bytes).then(() => res.end(), () => res.destroy());
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BODY.length });
  res.end(BODY);
}

async function upstream() {
  const server = http.createServer(serve);
  server.keepAliveTimeout = 60_000;
  const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  process.send({ type: 'ready', port, block: BLOCK.length });
  return {};
}

async function bridge([engineDir, configFile, exposuresFile]) {
  const { instance, exposures } = await startBridgeInstance(engineDir, configFile, exposuresFile);
  process.send({ type: 'ready' });
  return {
    status: () => Object.fromEntries(exposures.map(({ id }) => [id, instance.exposures.status(id)])),
    capture: ({ enabled }) => {
      for (const { id } of exposures) {
        instance.inspector.setEnabled(id, enabled);
        instance.inspector.clear(id);
      }
      return enabled;
    },
    captured: () => exposures.reduce((sum, { id }) => sum + instance.inspector.list(id).length, 0),
  };
}

const ops = role === 'upstream' ? await upstream() : role === 'bridge' ? await bridge(args) : undefined;
if (!ops) {
  console.error(`inspector-helper: unknown role "${role}" (upstream or bridge)`);
  process.exit(2);
}
process.on('message', async ({ id, op, args: callArgs }) => {
  try {
    const handler = ops[op];
    if (!handler) throw new Error(`unknown op ${op}`);
    process.send({ id, ok: true, result: await handler(callArgs ?? {}) });
  } catch (error) {
    process.send({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
