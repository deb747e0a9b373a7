/**
 * The exposure scenarios' pair (bench/edge.js, bench/inspector.js): a Porthole portal that lets
 * bridges ask for public ports, a bridge config that links to it, and, in a forked helper, the
 * bridge run as an engine Instance with exposures set (the CLI cannot ask for exposures).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const USER_ID = '27848739-7e62-4138-9fd3-098a63964b6b';

function writeJson(file, value) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The portal: VMess on `linkPort`, exposures from `ports` on 127.0.0.1 (`names`: `exposures.names`, if any). */
export function writePortalConfig(file, { reverseDomain, linkPort, ports, names }) {
  writeJson(file, {
    log: { loglevel: 'warning', access: 'none' },
    reverse: { portals: [{ tag: 'portal', domain: reverseDomain, exposures: { ports: ports.join(','), listen: '127.0.0.1', ...(names ? { names } : {}) } }] },
    inbounds: [{ tag: 'interconn', listen: '127.0.0.1', port: linkPort, protocol: 'vmess', settings: { clients: [{ id: USER_ID }] } }],
    routing: { rules: [{ type: 'field', inboundTag: ['interconn'], outboundTag: 'portal' }] },
  });
}

/** The bridge that links to that portal. */
export function writeBridgeConfig(file, { reverseDomain, linkPort }) {
  writeJson(file, {
    log: { loglevel: 'warning', access: 'none' },
    reverse: { bridges: [{ tag: 'bridge', domain: reverseDomain }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: '127.0.0.1:9' } },
      { tag: 'interconn', protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: linkPort, users: [{ id: USER_ID }] }] } },
    ],
    routing: { rules: [
      { type: 'field', inboundTag: ['bridge'], domain: [`full:${reverseDomain}`], outboundTag: 'interconn' },
      { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
    ] },
  });
}

/** In a helper process: the built engine's Instance from `configFile`, started, with the exposures of `exposuresFile`. */
export async function startBridgeInstance(engineDir, configFile, exposuresFile) {
  const { loadConfig } = await import(pathToFileURL(join(engineDir, 'engine', 'config', 'index.js')).href);
  const { Instance } = await import(pathToFileURL(join(engineDir, 'engine', 'instance.js')).href);
  const config = loadConfig([{ name: configFile, text: readFileSync(configFile, 'utf8') }]);
  const instance = new Instance(config, { closedConnectionHistory: false });
  await instance.start();
  const exposures = JSON.parse(readFileSync(exposuresFile, 'utf8'));
  await instance.setExposures(exposures);
  return { instance, exposures };
}
