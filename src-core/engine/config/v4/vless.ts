/**
 * `vless` settings, inbound and outbound. V2Ray 4.34 `infra/conf/vless.go` (messages kept close to
 * its own), users as at server creation (`proxy/vless/{account,validator}.go`). Porthole refuses
 * what it cannot honour instead of ignoring it: a `flow` (XTLS is not in 4.34, which ignores the
 * field), fallbacks with PROXY protocol (`xver` 1 or 2) or `serve-ws-none`.
 */
import type { VlessFallback, VlessInboundSettings, VlessOutboundSettings, VlessServer, VlessUser } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readArray, readString, readUint, record, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress, parseUuid } from './net.js';

/** One user: `protocol.User` (level, email) and `vless.Account` (id, flow, encryption) read from the same JSON. */
function buildVlessUser(ctx: BuildContext, node: JsonNode, side: 'inbound' | 'outbound'): VlessUser {
  const s: Struct = new Struct(ctx, node, ['id', 'flow', 'encryption', 'level', 'email']);
  const idNode = s.get('id');
  const rawId = readString(idNode) ?? '';
  const id = parseUuid(rawId);
  if (id === undefined) {
    const message = `invalid UUID ${JSON.stringify(rawId)}: expected 32 hex digits, optionally as 8-4-4-4-12 groups separated by "-"`;
    if (idNode) fail('PH_CONFIG_VALUE', idNode, message);
    s.missing('PH_CONFIG_VALUE', 'id', `missing "id": ${message}`);
  }
  const flowNode = s.get('flow');
  const flow = readString(flowNode) ?? '';
  if (flow !== '' && flowNode) fail('PH_CONFIG_UNSUPPORTED', flowNode, `VLESS flow ${JSON.stringify(flow)} is not supported: V2Ray 4.34 has no XTLS (leave "flow" empty)`);
  const encryptionNode = s.get('encryption');
  const encryption = readString(encryptionNode) ?? '';
  if (side === 'inbound' && encryption !== '' && encryptionNode) fail('PH_CONFIG_VALUE', encryptionNode, 'VLESS clients: "encryption" should not be in inbound settings (use "decryption": "none" in settings)');
  if (side === 'outbound' && encryption !== 'none') {
    const message = 'VLESS users: please add/set "encryption": "none" for every user';
    if (encryptionNode) fail('PH_CONFIG_VALUE', encryptionNode, message);
    s.missing('PH_CONFIG_VALUE', 'encryption', message);
  }
  const email = readString(s.get('email')) ?? '';
  return record(ctx, { id, level: readUint(s.get('level'), 32) ?? 0, ...(email !== '' ? { email } : {}) }, node);
}

/** A fallback `dest`: a port number (uint16) or a string, as 4.34 reads it. */
function readDest(node: JsonNode | undefined): string {
  if (node === undefined) return '';
  if (node.kind === 'number') return /^\d+$/.test(node.raw) && Number(node.raw) <= 65535 ? String(Number(node.raw)) : '';
  if (node.kind === 'string') return node.value;
  return '';
}

/** Go `net.SplitHostPort` succeeds (any port text; 4.34 checks only the split). */
function splitsHostPort(dest: string): boolean {
  return /^(?:\[[^\]]*\]|[^:[\]]*):[^:[\]]*$/.test(dest);
}

function buildFallback(ctx: BuildContext, node: JsonNode): VlessFallback {
  const s: Struct = new Struct(ctx, node, ['alpn', 'path', 'type', 'dest', 'xver']);
  const alpn = readString(s.get('alpn')) ?? '';
  const pathNode = s.get('path');
  const path = readString(pathNode) ?? '';
  if (path !== '' && !path.startsWith('/') && pathNode) fail('PH_CONFIG_VALUE', pathNode, 'VLESS fallbacks: "path" must be empty or start with "/"');
  const destNode = s.get('dest');
  let dest = readDest(destNode);
  const typeNode = s.get('type');
  let type = readString(typeNode) ?? '';
  if (type === '' && dest !== '') {
    if (dest === 'serve-ws-none') {
      fail('PH_CONFIG_UNSUPPORTED', destNode!, 'VLESS fallback "serve-ws-none" is not supported by Porthole yet');
    } else if (dest.startsWith('@') || dest.startsWith('/')) {
      if (dest.startsWith('@@')) fail('PH_CONFIG_UNSUPPORTED', destNode!, 'VLESS fallback to a padded abstract socket ("@@…") is not supported by Porthole yet');
      type = 'unix';
    } else {
      if (/^[+-]?\d+$/.test(dest)) dest = `127.0.0.1:${dest}`;
      if (splitsHostPort(dest)) type = 'tcp';
    }
  }
  if (type === '') fail('PH_CONFIG_VALUE', destNode ?? node, 'VLESS fallbacks: please fill in a valid value for every "dest" (a port, "host:port" or a Unix socket path)');
  if (type !== 'tcp' && type !== 'unix') fail('PH_CONFIG_UNSUPPORTED', typeNode ?? node, `VLESS fallback type ${JSON.stringify(type)} is not supported by Porthole yet (use "tcp" or "unix")`);
  const xverNode = s.get('xver');
  const xver = readUint(xverNode, 32) ?? 0;
  if (xver > 2 && xverNode) fail('PH_CONFIG_VALUE', xverNode, 'VLESS fallbacks: invalid PROXY protocol version, "xver" only accepts 0, 1, 2');
  if (xver !== 0 && xverNode) fail('PH_CONFIG_UNSUPPORTED', xverNode, `VLESS fallback "xver": ${xver} (PROXY protocol) is not supported yet (use 0)`);
  return record(ctx, { alpn, path, type, dest, xver: 0 as const }, node);
}

export function buildVlessInboundSettings(ctx: BuildContext, node: JsonNode): VlessInboundSettings {
  const s: Struct = new Struct(ctx, node, ['clients', 'decryption', 'fallback', 'fallbacks']);
  const clientsNode = s.get('clients');
  const clients = (readArray(clientsNode) ?? []).map((item) => buildVlessUser(ctx, item, 'inbound'));
  const decryptionNode = s.get('decryption');
  if (readString(decryptionNode) !== 'none') {
    const message = 'VLESS settings: please add/set "decryption": "none" to every settings';
    if (decryptionNode) fail('PH_CONFIG_VALUE', decryptionNode, message);
    s.missing('PH_CONFIG_VALUE', 'decryption', message);
  }
  const fallbackNode = s.get('fallback');
  if (fallbackNode && fallbackNode.kind !== 'null') fail('PH_CONFIG_VALUE', fallbackNode, 'VLESS settings: please use "fallbacks": [{}] instead of "fallback": {}');
  const fallbacksNode = s.get('fallbacks');
  const fallbacks = (readArray(fallbacksNode) ?? []).map((item) => buildFallback(ctx, item));
  if (clients.length === 0 && fallbacks.length === 0) {
    warn(ctx, clientsNode ?? node, 'this VLESS inbound has no clients and no fallbacks: every connection will be rejected');
  }
  const emails = new Map<string, number>();
  clients.forEach((client, index) => {
    if (client.email === undefined) return;
    const key = client.email.toLowerCase();
    const first = emails.get(key);
    if (first !== undefined) {
      const items = readArray(clientsNode) ?? [];
      fail('PH_CONFIG_VALUE', items[index] as JsonNode, `user ${JSON.stringify(client.email)} already exists (clients[${first}]): emails must be unique, ignoring case`);
    }
    emails.set(key, index);
  });
  return { clients, fallbacks };
}

export function buildVlessOutboundSettings(ctx: BuildContext, node: JsonNode): VlessOutboundSettings {
  const s: Struct = new Struct(ctx, node, ['vnext']);
  const vnextNode = s.get('vnext');
  const servers = readArray(vnextNode) ?? [];
  if (servers.length === 0) {
    if (vnextNode) fail('PH_CONFIG_VALUE', vnextNode, 'VLESS settings: "vnext" is empty');
    s.missing('PH_CONFIG_VALUE', 'vnext', 'VLESS settings: "vnext" is empty (a VLESS outbound needs at least one server)');
  }
  const vnext = servers.map((serverNode): VlessServer => {
    const server: Struct = new Struct(ctx, serverNode, ['address', 'port', 'users']);
    const addressNode = server.get('address');
    const address = readString(addressNode, 'an address string');
    if (address === undefined) server.missing('PH_CONFIG_VALUE', 'address', 'VLESS vnext: "address" is not set');
    const usersNode = server.get('users');
    const userNodes = readArray(usersNode) ?? [];
    if (userNodes.length === 0) {
      if (usersNode) fail('PH_CONFIG_VALUE', usersNode, 'VLESS vnext: "users" is empty');
      server.missing('PH_CONFIG_VALUE', 'users', 'VLESS vnext: "users" is empty (add a user with "id" and "encryption": "none")');
    }
    if (address.trim() === '' && addressNode) warn(ctx, addressNode, 'empty address: this server cannot be dialled');
    const port = readUint(server.get('port'), 16) ?? 0;
    const users = userNodes.map((userNode) => buildVlessUser(ctx, userNode, 'outbound'));
    return record(ctx, { address: parseAddress(address).text, port, users }, serverNode);
  });
  return { vnext };
}
