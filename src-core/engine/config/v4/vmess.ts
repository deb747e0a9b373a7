/**
 * `vmess` settings, inbound and outbound. V2Ray `infra/conf/vmess.go`; users are checked as at
 * server creation (`proxy/vmess/account.go`, `proxy/vmess/inbound/inbound.go`).
 */
import type { VmessInboundSettings, VmessOutboundSettings, VmessSecurity, VmessServer, VmessUser } from '../types.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readArray, readBool, readString, readUint, record, warn } from './decode.js';
import type { JsonNode } from './jsonc.js';
import { parseAddress, parseUuid } from './net.js';

const SECURITIES: readonly VmessSecurity[] = ['auto', 'aes-128-gcm', 'chacha20-poly1305', 'none'];

/** One user object: `protocol.User` (level, email) and `VMessAccount` (id, alterId, security) read from the same JSON. */
export function buildVmessUser(ctx: BuildContext, node: JsonNode): VmessUser {
  const s: Struct = new Struct(ctx, node, ['id', 'alterId', 'security', 'level', 'email', 'account']);
  const idNode = s.get('id');
  const rawId = readString(idNode) ?? '';
  const id = parseUuid(rawId);
  if (id === undefined) {
    const message = `invalid UUID ${JSON.stringify(rawId)}: expected 32 hex digits, optionally as 8-4-4-4-12 groups separated by "-"`;
    if (idNode) fail('PH_CONFIG_VALUE', idNode, message);
    s.missing('PH_CONFIG_VALUE', 'id', `missing "id": ${message}`);
  }
  const securityNode = s.get('security');
  const rawSecurity = readString(securityNode) ?? '';
  let security = SECURITIES.find((candidate) => candidate === rawSecurity.toLowerCase());
  if (security === undefined) {
    security = 'auto';
    if (rawSecurity !== '' && securityNode) {
      warn(ctx, securityNode, `unknown security ${JSON.stringify(rawSecurity)} means "auto" (use auto, aes-128-gcm, chacha20-poly1305 or none)`);
    }
  }
  const email = readString(s.get('email')) ?? '';
  const user: VmessUser = {
    id,
    alterId: readUint(s.get('alterId'), 16) ?? 0,
    level: readUint(s.get('level'), 32) ?? 0,
    ...(email !== '' ? { email } : {}),
    security,
  };
  return record(ctx, user, node);
}

export function buildVmessInboundSettings(ctx: BuildContext, node: JsonNode): VmessInboundSettings {
  const s: Struct = new Struct(ctx, node, ['clients', 'features', 'default', 'detour', 'disableInsecureEncryption']);
  const detour = s.get('detour');
  if (detour) fail('PH_CONFIG_UNSUPPORTED', detour, 'VMess "detour" (dynamic ports) is not supported by Porthole yet');
  const features = s.get('features');
  if (features) {
    const f = new Struct(ctx, features, ['detour']);
    const featureDetour = f.get('detour');
    if (featureDetour) fail('PH_CONFIG_UNSUPPORTED', featureDetour, 'VMess "detour" (dynamic ports) is not supported by Porthole yet');
  }
  const clientsNode = s.get('clients');
  const clients = (readArray(clientsNode) ?? []).map((item) => buildVmessUser(ctx, item));
  if (clients.length === 0) {
    warn(ctx, clientsNode ?? node, 'this VMess inbound has no clients: every connection will fail authentication');
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
  const defaultNode = s.get('default');
  let defaults: VmessInboundSettings['default'];
  if (defaultNode) {
    const d = new Struct(ctx, defaultNode, ['alterId', 'level']);
    defaults = { alterId: readUint(d.get('alterId'), 16) ?? 0, level: readUint(d.get('level'), 8) ?? 0 };
  }
  return {
    clients,
    ...(defaults ? { default: defaults } : {}),
    disableInsecureEncryption: readBool(s.get('disableInsecureEncryption')) ?? false,
  };
}

export function buildVmessOutboundSettings(ctx: BuildContext, node: JsonNode): VmessOutboundSettings {
  const s: Struct = new Struct(ctx, node, ['vnext']);
  const servers = readArray(s.get('vnext')) ?? [];
  if (servers.length === 0) {
    const vnext = s.get('vnext');
    if (vnext) fail('PH_CONFIG_VALUE', vnext, '0 VMess receiver configured: add a server to "vnext"');
    s.missing('PH_CONFIG_VALUE', 'vnext', 'missing "vnext": a VMess outbound needs at least one server');
  }
  const vnext = servers.map((serverNode): VmessServer => {
    const server: Struct = new Struct(ctx, serverNode, ['address', 'port', 'users']);
    const usersNode = server.get('users');
    const userNodes = readArray(usersNode) ?? [];
    if (userNodes.length === 0) {
      if (usersNode) fail('PH_CONFIG_VALUE', usersNode, '0 user configured for VMess outbound: add a user with an "id"');
      server.missing('PH_CONFIG_VALUE', 'users', 'missing "users": a VMess server needs at least one user');
    }
    const addressNode = server.get('address');
    const address = readString(addressNode, 'an address string');
    if (address === undefined) server.missing('PH_CONFIG_VALUE', 'address', 'missing "address": the VMess server\'s IP or domain');
    if (address.trim() === '' && addressNode) warn(ctx, addressNode, 'empty address: this server cannot be dialled');
    const port = readUint(server.get('port'), 16) ?? 0;
    const users = userNodes.map((userNode) => buildVmessUser(ctx, userNode));
    return record(ctx, { address: parseAddress(address).text, port, users }, serverNode);
  });
  return { vnext };
}
