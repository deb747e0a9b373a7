/**
 * `acme` objects (Porthole only): at a portal's edge (`exposures.names.acme`) and on a TLS
 * inbound (`streamSettings.tlsSettings.acme`, which also takes `httpPort`):
 * `{"email": "ops@example.com", "directory": "https://…", "caFile": "…", "storage": "…"}`.
 */
import { DEFAULT_ACME_STORAGE, LETS_ENCRYPT_DIRECTORY } from '../runtime.js';
import type { AcmeConfig, LinkAcmeConfig } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readString, readUint } from './decode.js';
import type { JsonNode } from './jsonc.js';

const DEFAULT_CHALLENGE_PORT = 80;

export function buildAcme(ctx: BuildContext, node: JsonNode): AcmeConfig {
  return readAcme(new Struct(ctx, node, ACME_FIELDS), node);
}

/** An inbound's `tlsSettings.acme`: the common fields plus `httpPort` (1–65535, default 80). */
export function buildLinkAcme(ctx: BuildContext, node: JsonNode): LinkAcmeConfig {
  const s = new Struct(ctx, node, [...ACME_FIELDS, 'httpPort']);
  const portNode = s.get('httpPort');
  const httpPort = readUint(portNode, 16) ?? DEFAULT_CHALLENGE_PORT;
  if (portNode && httpPort === 0) fail('PH_CONFIG_VALUE', portNode, 'httpPort 0: use the port HTTP-01 reaches, 80 unless port 80 is forwarded');
  return { ...readAcme(s, node), httpPort };
}

const ACME_FIELDS = ['directory', 'email', 'caFile', 'storage'];

function readAcme(s: Struct, node: JsonNode): AcmeConfig {
  const directoryNode = s.get('directory');
  const directory = readString(directoryNode) ?? LETS_ENCRYPT_DIRECTORY;
  if (directoryNode && !/^https:\/\/[^/]/.test(directory)) fail('PH_CONFIG_VALUE', directoryNode, `directory ${JSON.stringify(directory)} is not an https:// URL`);
  const emailNode = s.get('email');
  const email = readString(emailNode);
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) fail('PH_CONFIG_VALUE', emailNode ?? node, `email ${JSON.stringify(email)} is not an address`);
  const caFile = readString(s.get('caFile'));
  const storage = readString(s.get('storage')) ?? DEFAULT_ACME_STORAGE;
  return { directory, storage, ...(email ? { email } : {}), ...(caFile ? { caFile } : {}) };
}
