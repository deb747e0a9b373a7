/**
 * Keep-alive GETs, `concurrency` at once, for `seconds`: completed requests per second. Each loop
 * owns one socket (an Agent with as many sockets as loops), as a browser or autocannon would.
 * Shared by the edge and inspector scenarios.
 *
 * target: { host, port, tls?, ca?, servername?, hostHeader?, lookup? }
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export async function keepAliveLoad(target, { seconds, concurrency }) {
  const tlsOptions = target.tls ? { ca: target.ca, servername: target.servername } : {};
  const agent = new (target.tls ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: concurrency, ...tlsOptions });
  const request = (target.tls ? https : http).request;
  const options = {
    host: target.host, port: target.port, path: '/', agent,
    ...(target.lookup ? { lookup: target.lookup } : {}),
    ...(target.hostHeader ? { headers: { Host: target.hostHeader } } : {}),
  };
  const deadline = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let firstError;
  const loop = async () => {
    while (performance.now() < deadline) {
      await new Promise((resolve) => {
        const req = request(options, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            if (res.statusCode === 200) ok += 1;
            else { failed += 1; firstError ??= `HTTP ${res.statusCode}`; }
            resolve();
          });
        });
        req.on('error', (error) => { failed += 1; firstError ??= error.message; resolve(); });
        req.end();
      });
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { ok, failed, seconds: elapsed, rate: ok / elapsed, ...(firstError ? { firstError } : {}) };
}
