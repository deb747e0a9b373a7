/**
 * The portal side of invites: which inbound bridges dial (a VMess or VLESS inbound that routing
 * sends to a portal), its users, and edits of the config's own text that add or remove one user
 * while keeping the owner's comments, spacing and key order. Each invite is its own client
 * (`id` a fresh UUID, `email` its name), so the portal's per-user stats and exposure limits
 * count it apart and removing it shuts out exactly that bridge.
 */
import { randomUUID } from 'node:crypto';
import { applyEdits, modify, type Edit } from 'jsonc-parser';
import { PortholeError } from '../../engine/common/errors.js';
import { validateConfig, type PortholeConfig } from '../../engine/config/index.js';
import type { PortalConfig, VlessInbound, VmessInbound } from '../../engine/config/types.js';
import { foldKey } from '../../engine/config/v4/decode.js';
import { parseJsonc, stripComments, type JsonNode } from '../../engine/config/v4/jsonc.js';
import type { BridgeEndpoint } from '../api/invites/endpoint.js';
import type { Invite } from '../api/invites/invite-link.js';

export type LinkInbound = (VmessInbound | VlessInbound) & { readonly tag: string };

export interface PortalLinkTarget {
  readonly inbound: LinkInbound;
  readonly portal: PortalConfig;
}

export interface PortalUser {
  readonly id: string;
  readonly name?: string;
}

/** A name the portal's `email` field and the logs show plainly. */
export const USER_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u;

function inviteError(message: string): never {
  throw new PortholeError('PH_CONFIG_VALUE', `invite: ${message}`);
}

/** Every inbound bridges dial (a VMess or VLESS inbound that a routing rule sends to a portal), with its portal, in config order. */
export function portalLinkTargets(config: PortholeConfig): PortalLinkTarget[] {
  const portals = new Map(config.reverse.portals.map((portal) => [portal.tag, portal]));
  const candidates: PortalLinkTarget[] = [];
  for (const inbound of config.inbounds) {
    if ((inbound.protocol !== 'vmess' && inbound.protocol !== 'vless') || inbound.tag === undefined) continue;
    const rule = config.routing.rules.find((item) => item.inboundTag?.includes(inbound.tag!) && portals.has(item.outboundTag));
    const portal = rule ? portals.get(rule.outboundTag) : undefined;
    if (portal) candidates.push({ inbound: inbound as LinkInbound, portal });
  }
  return candidates;
}

/** The inbound bridges dial (`inboundTag` of a rule that goes to a portal) and that portal. */
export function portalLinkTarget(config: PortholeConfig, inboundTag?: string): PortalLinkTarget {
  if (config.reverse.portals.length === 0) inviteError('the config has no reverse.portals: invites are made on a portal');
  const candidates = portalLinkTargets(config);
  if (inboundTag !== undefined) {
    const found = candidates.find((candidate) => candidate.inbound.tag === inboundTag);
    if (!found) inviteError(`no VMess or VLESS inbound tagged "${inboundTag}" is routed to a portal (${candidates.length ? `there is: ${candidates.map((c) => c.inbound.tag).join(', ')}` : 'there is none'})`);
    return found;
  }
  if (candidates.length === 0) inviteError('no VMess or VLESS inbound is routed to a portal (a routing rule with its inboundTag and the portal\'s tag as outboundTag)');
  if (candidates.length > 1) inviteError(`several inbounds lead to a portal (${candidates.map((c) => c.inbound.tag).join(', ')}): choose one with --inbound TAG`);
  return candidates[0]!;
}

export function portalUsers(target: PortalLinkTarget): PortalUser[] {
  return target.inbound.settings.clients.map((client) => ({ id: client.id, ...(client.email ? { name: client.email } : {}) }));
}

export interface InviteAddress {
  /** The host bridges dial; default: `defaultInviteAddress`. */
  readonly address?: string;
  /** The port bridges dial, when it is not the inbound's (a port forward, a front proxy). */
  readonly port?: number;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/**
 * The host bridges dial when the owner names none: the portal's `exposures.publicHost`, else the
 * name its TLS certificate or WebSocket Host header says, else the inbound's own listen address
 * when it is a specific one. Undefined when the config does not say.
 */
export function defaultInviteAddress(target: PortalLinkTarget): string | undefined {
  const stream = target.inbound.streamSettings;
  const wsHost = stream?.ws?.headers.Host ?? stream?.ws?.headers.host;
  const listen = ANY_ADDRESS.has(target.inbound.listen) ? undefined : target.inbound.listen;
  return target.portal.exposures?.publicHost ?? (stream?.security === 'tls' ? stream.tls?.serverName : undefined) ?? wsHost ?? listen;
}

/** A fresh user for an invite: a new UUID, and `name` (checked, and not taken on the inbound) or `invite-<8 hex>`. */
export function newInviteUser(target: PortalLinkTarget, name?: string): Required<PortalUser> {
  const id = randomUUID();
  const chosen = name?.trim() || `invite-${id.slice(0, 8)}`;
  if (!USER_NAME.test(chosen)) inviteError(`name "${chosen}": use letters, digits, . _ @ - (up to 64)`);
  if (portalUsers(target).some((user) => user.name === chosen)) inviteError(`inbound "${target.inbound.tag}" already has a user named "${chosen}" (revoke it or pick another name)`);
  return { id, name: chosen };
}

/** The invite a user of `target` gets: address from `options` or `defaultInviteAddress`, the rest from the inbound. */
export function inviteFor(target: PortalLinkTarget, user: PortalUser, options: InviteAddress = {}): Invite {
  const address = options.address ?? defaultInviteAddress(target);
  if (!address) inviteError('no public address: pass --address HOST (or set reverse.portals[].exposures.publicHost)');
  const { inbound } = target;
  const stream = inbound.streamSettings;
  const network = stream?.network === 'websocket' ? 'ws' : 'tcp';
  const tls = stream?.security === 'tls';
  const wsHost = stream?.ws?.headers.Host ?? stream?.ws?.headers.host;
  const endpoint: BridgeEndpoint = {
    protocol: inbound.protocol,
    address,
    port: options.port ?? inbound.port.from,
    id: user.id,
    network,
    tls,
    ...(tls && stream?.tls?.serverName ? { sni: stream.tls.serverName } : {}),
    ...(network === 'ws' ? { path: stream?.ws?.path ?? '/' } : {}),
    ...(network === 'ws' && wsHost ? { host: wsHost } : {}),
  };
  return { endpoint, domain: target.portal.domain, ...(user.name ? { name: user.name } : {}) };
}

// ---------------------------------------------------------------------------------------------
// editing the config text

function member(node: JsonNode | undefined, key: string): { key: string; value: JsonNode } | undefined {
  if (node?.kind !== 'object') return undefined;
  return node.members.find((item) => foldKey(item.key) === foldKey(key));
}

/** The JSON path (keys as the file spells them) of the inbound tagged `tag`'s `settings`. */
function settingsPath(fileName: string, text: string, tag: string): { path: (string | number)[]; clients: JsonNode | undefined } {
  const { root } = parseJsonc(fileName, text);
  const inbounds = member(root, 'inbounds');
  if (inbounds?.value.kind !== 'array') inviteError(`${fileName} has no inbounds list`);
  const index = inbounds.value.items.findIndex((item) => {
    const tagNode = member(item, 'tag')?.value;
    return tagNode?.kind === 'string' && tagNode.value === tag;
  });
  if (index < 0) inviteError(`${fileName} has no inbound tagged "${tag}" (is it in another file?)`);
  const settings = member(inbounds.value.items[index], 'settings');
  const clients = member(settings?.value, 'clients');
  return {
    path: [inbounds.key, index, settings?.key ?? 'settings', clients?.key ?? 'clients'],
    clients: clients?.value,
  };
}

/** Applies edits computed on the comment-free text (jsonc-parser does not know V2Ray's `#` comments; offsets are the same). */
function edited(text: string, path: (string | number)[], value: unknown): string {
  const stripped = stripComments(text);
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const edits: Edit[] = modify(stripped, path, value, {
    formattingOptions: { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' },
  });
  return applyEdits(text, edits);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the end of `offset`'s line (its newline included). */
function nextLine(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/** True when nothing but blanks (comments are blanks in `stripped`) lies between `from` and `to`. */
const blankBetween = (stripped: string, from: number, to: number): boolean => stripped.slice(from, to).trim() === '';

function checked(fileName: string, next: string): string {
  const check = validateConfig([{ name: fileName, text: next }]);
  if (!check.config) throw check.errors[0] ?? inviteError('the edited config does not load');
  return next;
}

/**
 * `text` with a client `{id, email: name}` added to the inbound tagged `tag`. The new client goes
 * on a line of its own under the last one (after that one's end-of-line comment), indented alike.
 */
export function addUserText(fileName: string, text: string, tag: string, user: Required<PortalUser>): string {
  const { path, clients } = settingsPath(fileName, text, tag);
  const client = { id: user.id, email: user.name };
  const last = clients?.kind === 'array' ? clients.items.at(-1) : undefined;
  if (!last) return checked(fileName, edited(text, [...path, -1], client));
  const stripped = stripComments(text);
  const end = last.offset + last.length;
  const json = JSON.stringify(client).replace(/^\{"id":(.*),"email":(.*)\}$/, '{"id": $1, "email": $2}');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lineEnd = nextLine(text, end);
  const ownLine = blankBetween(stripped, lineStart(text, last.offset), last.offset) && blankBetween(stripped, end, lineEnd);
  const edits: Edit[] = [{ offset: end, length: 0, content: ',' }];
  if (ownLine) {
    const indent = /^[ \t]*/.exec(text.slice(lineStart(text, last.offset)))![0];
    edits.push({ offset: lineEnd, length: 0, content: `${indent}${json}${lineEnd === text.length ? '' : eol}` });
  } else {
    edits.push({ offset: end, length: 0, content: ` ${json}` });
  }
  return checked(fileName, applyEdits(text, edits));
}

/** `text` without the client whose id or email is `who`; throws when there is none or it is the last one. */
export function removeUserText(fileName: string, text: string, tag: string, who: string): { text: string; removed: PortalUser } {
  const { clients } = settingsPath(fileName, text, tag);
  const items = clients?.kind === 'array' ? clients.items : [];
  const users = items.map((item) => {
    const id = member(item, 'id')?.value;
    const email = member(item, 'email')?.value;
    return { id: id?.kind === 'string' ? id.value : '', ...(email?.kind === 'string' ? { name: email.value } : {}) };
  });
  const matches = users.flatMap((user, index) => (user.id.toLowerCase() === who.toLowerCase() || user.name === who ? [index] : []));
  if (matches.length === 0) inviteError(`inbound "${tag}" has no user named or with id "${who}" (see porthole invite --list)`);
  if (matches.length > 1) inviteError(`several users of inbound "${tag}" are named "${who}": revoke by id`);
  if (users.length === 1) inviteError(`"${who}" is the last user of inbound "${tag}"; a portal inbound needs one, so add another first`);
  const index = matches[0]!;
  const stripped = stripComments(text);
  const item = items[index]!;
  const end = item.offset + item.length;
  const commaAfter = stripped.indexOf(',', end);
  const isLast = index === items.length - 1;
  // The item and the comma that belongs with it: its own, or (for the last) the one before it.
  const commaAt = isLast ? stripped.lastIndexOf(',', item.offset) : commaAfter;
  const tail = isLast ? end : commaAfter + 1;
  const ownLines = blankBetween(stripped, lineStart(text, item.offset), item.offset) && blankBetween(stripped, tail, nextLine(text, tail));
  const edits: Edit[] = [];
  if (ownLines) {
    // Whole lines go, with the item's end-of-line comment; the comma before a last item goes alone.
    edits.push({ offset: lineStart(text, item.offset), length: nextLine(text, tail) - lineStart(text, item.offset), content: '' });
    if (isLast) edits.push({ offset: commaAt, length: 1, content: '' });
  } else if (isLast) {
    edits.push({ offset: commaAt, length: end - commaAt, content: '' });
  } else {
    const next = items[index + 1]!;
    edits.push({ offset: item.offset, length: next.offset - item.offset, content: '' });
  }
  return { text: checked(fileName, applyEdits(text, edits)), removed: users[index]! };
}
