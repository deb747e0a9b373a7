/**
 * The method table: every `EngineService` method with a runtime schema for its arguments
 * (positional, as a tuple). Transports validate each call against it before the service sees it,
 * so a wrong type, an extra argument or an unknown method never reaches the engine.
 * A compile-time check below keeps the table and the interface in step.
 */
import { z } from 'zod';
import type { EngineMethodName, EngineService } from './engine-service.js';
import { cidrProblem, customDomainProblem, exposureLabelProblem } from './exposure-names.js';

/** A profile name: also its file name in the profiles folder, so no path characters. */
export const PROFILE_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._()+-]{0,79}$/u;

const profileName = z.string().regex(PROFILE_NAME_PATTERN, 'a profile name is 1–80 letters, digits, spaces and . _ ( ) + -, starting with a letter or digit');
/** Config texts are small; 1 MiB keeps a mistaken paste from filling memory. */
const profileText = z.string().max(1 << 20);
const port = z.number().int().min(1, 'a port is 1–65535').max(65535, 'a port is 1–65535');
/** A host name or IP literal to dial on the bridge's machine (no scheme, no port, no spaces). */
const localHost = z.string().min(1).max(253).regex(/^(?:[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?)$/, 'a host is a name or an IP address, without a port');
export const EXPOSURE_ID_PATTERN = /^e-[0-9a-f]{8}$/;
const exposureId = z.string().regex(EXPOSURE_ID_PATTERN, 'an exposure id looks like e-0123abcd');
const exposureName = z.string().trim().min(1, 'a name is 1–60 characters').max(60, 'a name is 1–60 characters');
/** `<label>.<domain>` at the portal; typed "My-App" is taken as "my-app". */
const exposureLabel = z.string().trim().toLowerCase().superRefine((label, context) => {
  const problem = exposureLabelProblem(label);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});
/** A domain of the user's own; typed "Shop.Example.com." is taken as "shop.example.com". */
const customDomain = z.string().trim().toLowerCase().transform((name) => name.replace(/\.$/, '')).superRefine((name, context) => {
  const problem = customDomainProblem(name);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});
const exposureAccess = z.object({
  // The user goes on the wire as "user:password" (HTTP Basic), so no colon in it.
  basicAuth: z.object({
    user: z.string().min(1, 'a user name is 1–64 characters').max(64, 'a user name is 1–64 characters').regex(/^[^:\s]+$/, 'a user name has no ":" and no spaces'),
    password: z.string().min(1, 'a password is 1–128 characters').max(128, 'a password is 1–128 characters').regex(/^[^\r\n]+$/, 'a password is one line').optional(),
  }).strict().nullable().optional(),
  allow: z.array(z.string().trim().superRefine((cidr, context) => {
    const problem = cidrProblem(cidr);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })).max(64, 'an allowlist has at most 64 entries').optional(),
  proxyProtocol: z.union([z.literal(1), z.literal(2)]).nullable().optional(),
}).strict();
const logLevel = z.enum(['debug', 'info', 'warning', 'error']);
/** Server setup's choices (getServerSetup, and checkServerSetup, which tries what they make). */
const serverSetupOptions = z.object({
  transport: z.enum(['tcp', 'tls', 'ws', 'ws-tls']).optional(),
  serverName: z.string().max(253).optional(),
  path: z.string().max(200).optional(),
  certificateFile: z.string().max(1024).optional(),
  keyFile: z.string().max(1024).optional(),
  port: port.optional(),
  portalPort: port.optional(),
  namesDomain: z.string().max(253).optional(),
}).strict();

/** Inspector: an entry id (unique while the engine runs). */
const inspectorEntryId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const reveal = z.object({ reveal: z.boolean().optional() }).strict();
/** An HTTP token (method, header name), as RFC 9110 §5.6.2 spells it. */
const httpToken = z.string().min(1).max(64).regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'a method or header name is letters, digits and !#$%&\'*+-.^_`|~');
const inspectorEdits = z.object({
  method: httpToken.optional(),
  target: z.string().min(1, 'a path is 1–8192 visible characters').max(8192, 'a path is 1–8192 visible characters').regex(/^[\x21-\x7e]+$/, 'a path is visible ASCII without spaces, e.g. /api/items?id=2').optional(),
  headers: z.array(z.tuple([httpToken, z.string().max(16_384).regex(/^[^\r\n\0]*$/, 'a header value is one line')])).max(200, 'at most 200 headers').optional(),
  // The call itself is capped at 2 MiB (dashboard and IPC): 1 MiB of text leaves room for the rest.
  body: z.string().max(1 << 20, 'an edited body is at most 1 MiB').optional(),
}).strict();
const inspectorSettings = z.object({
  enabled: z.boolean().optional(),
  ringSize: z.number().int().min(1, 'the list keeps 1–100000 requests').max(100_000, 'the list keeps 1–100000 requests').optional(),
  bodyCapBytes: z.number().int().min(0, 'the body cap is 0–64 MiB').max(64 * 1024 * 1024, 'the body cap is 0–64 MiB').optional(),
}).strict();

/** Set up my server: where to log in (a password is never a choice). */
const sshHost = z.string().trim().min(1, 'a server is a DNS name or an IP address').max(253).regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/, 'a server is a DNS name or an IP address, without user, port or scheme');
const sshUser = z.string().trim().min(1, 'a user name is 1–32 characters').max(32, 'a user name is 1–32 characters').regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'a user name is letters, digits, _ . - (as on Linux)');
const remoteTarget = {
  host: sshHost,
  port: port.optional(),
  user: sshUser,
  auth: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('agent') }).strict(),
    z.object({ kind: z.literal('key'), keyFile: z.string().min(1, 'give the private key file').max(4096), passphrase: z.string().max(1024).optional() }).strict(),
  ]),
};
const remoteRunId = z.string().regex(/^rs-[0-9a-f]{8,32}$/, 'a run id looks like rs-0123abcd');
const remoteServerFile = z.string().regex(/^\/[A-Za-z0-9._~/@+-]{1,1023}$/, 'a file on the server is an absolute path of letters, digits and . _ ~ / @ + -');
const remoteSetupRequest = z.object({
  ...remoteTarget,
  transport: z.enum(['tcp', 'tls', 'ws-tls']).optional(),
  domain: z.string().trim().toLowerCase().max(253).regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'a domain is a DNS name such as vps.example.com').optional(),
  certificateFile: remoteServerFile.optional(),
  keyFile: remoteServerFile.optional(),
  acme: z.object({
    email: z.string().trim().max(254).regex(/^[^@\s]+@[^@\s]+$/, 'an email address looks like ops@example.com').optional(),
    directory: z.string().trim().max(2048).regex(/^https:\/\/[^/\s]+\S*$/, 'an ACME directory is an https:// URL').optional(),
    caFile: remoteServerFile.optional(),
    httpPort: port.optional(),
  }).strict().optional(),
  linkPort: port.optional(),
  exposureRange: z.string().regex(/^\d{1,5}-\d{1,5}$/, 'a port range looks like 20000-20099').optional(),
  profileName: profileName.optional(),
}).strict();
const inviteUser = z.string().trim().min(1).max(64);
const portalInviteInput = z.object({
  name: z.string().trim().regex(/^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u, 'a name is letters, digits, . _ @ - (up to 64)').optional(),
  address: z.string().trim().min(1).max(260).regex(/^[^\s/]+$/, 'an address is host or host:port').optional(),
  inbound: z.string().min(1).max(128).optional(),
}).strict();

export const ENGINE_METHODS = {
  listProfiles: z.tuple([]),
  getProfile: z.tuple([profileName]),
  saveProfile: z.tuple([profileName, profileText]),
  deleteProfile: z.tuple([profileName]),
  validateProfile: z.tuple([profileText]),
  exportProfile: z.tuple([profileName]),
  activateProfile: z.tuple([profileName]),
  getStatus: z.tuple([]),
  startEngine: z.tuple([]),
  stopEngine: z.tuple([]),
  getSnapshot: z.tuple([]),
  getTrafficHistory: z.tuple([z.enum(['1m', '5m', '1h'])]),
  listConnections: z.tuple([]),
  closeConnection: z.tuple([z.number().int().nonnegative()]),
  closeAllConnections: z.tuple([]),
  recentLogs: z.tuple([z.object({ level: logLevel.optional(), limit: z.number().int().min(1).max(10_000).optional() }).strict().optional()]),
  listExposures: z.tuple([]),
  addExposure: z.tuple([z.object({
    localHost: localHost.optional(),
    localPort: port,
    name: exposureName.optional(),
    publicPort: port.nullable().optional(),
    label: exposureLabel.optional(),
    customDomain: customDomain.optional(),
  }).strict()]),
  updateExposure: z.tuple([exposureId, z.object({
    name: exposureName.optional(),
    enabled: z.boolean().optional(),
    publicPort: port.nullable().optional(),
    label: exposureLabel.optional(),
    customDomain: customDomain.nullable().optional(),
    access: exposureAccess.optional(),
  }).strict()]),
  removeExposure: z.tuple([exposureId]),
  setExposuresPaused: z.tuple([z.boolean()]),
  getServerSetup: z.tuple([profileName, serverSetupOptions.optional()]),
  checkServerSetup: z.tuple([profileName, serverSetupOptions.optional()]),
  listInspectorEntries: z.tuple([exposureId]),
  getInspectorEntry: z.tuple([inspectorEntryId, reveal.optional()]),
  clearInspector: z.tuple([exposureId]),
  setInspectorPaused: z.tuple([exposureId, z.boolean()]),
  setInspectorSettings: z.tuple([exposureId, inspectorSettings]),
  replayInspectorEntry: z.tuple([inspectorEntryId, inspectorEdits.optional()]),
  exportInspectorHar: z.tuple([exposureId, z.object({ reveal: z.boolean().optional(), entryIds: z.array(inspectorEntryId).max(100_000).optional() }).strict().optional()]),
  exportInspectorCurl: z.tuple([inspectorEntryId, reveal.optional()]),
  startRemoteSetup: z.tuple([remoteSetupRequest]),
  acceptRemoteHostKey: z.tuple([remoteRunId, z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint looks like SHA256: and 43 base64 characters')]),
  retryRemoteSetup: z.tuple([remoteRunId, z.object({ passphrase: z.string().max(1024).optional() }).strict().optional()]),
  cancelRemoteSetup: z.tuple([remoteRunId]),
  removeRemoteSetup: z.tuple([z.object(remoteTarget).strict()]),
  getRemoteSetup: z.tuple([]),
  listRemoteServers: z.tuple([]),
  listPortalInvites: z.tuple([profileName]),
  createPortalInvite: z.tuple([profileName, portalInviteInput.optional()]),
  revokePortalInvite: z.tuple([profileName, inviteUser]),
  getSettings: z.tuple([]),
  setSettings: z.tuple([z.object({
    theme: z.enum(['system', 'light', 'dark']).optional(),
    launchAtLogin: z.boolean().optional(),
    startMinimised: z.boolean().optional(),
    localPortalLan: z.boolean().optional(),
    localPortalLanAddress: z.string().regex(/^\d{1,3}(?:\.\d{1,3}){3}$/, 'a LAN address is an IPv4 address such as 192.168.1.20').nullable().optional(),
  }).strict()]),
} as const satisfies { [K in EngineMethodName]: z.ZodType<unknown[]> };

// Compile-time: the table names every method, and what each schema accepts is what the method takes.
type SchemaArgs<K extends EngineMethodName> = z.infer<(typeof ENGINE_METHODS)[K]>;
type Mismatched = {
  [K in EngineMethodName]: SchemaArgs<K> extends Parameters<EngineService[K]> ? (Parameters<EngineService[K]> extends SchemaArgs<K> ? never : K) : K;
}[EngineMethodName];
/** A type error here names the method whose schema disagrees with the interface. */
const methodArgsMatch: [Mismatched] extends [never] ? true : Mismatched = true;
void methodArgsMatch;

/** True when `name` is a method of the contract (own property of the table, not e.g. `toString`). */
export function isEngineMethodName(name: unknown): name is EngineMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ENGINE_METHODS, name);
}

export type ArgumentCheck =
  | { ok: true; args: unknown[] }
  | { ok: false; message: string };

/** Validates `args` for `method`; the message names the first offending argument. */
export function checkArguments(method: EngineMethodName, args: unknown): ArgumentCheck {
  const parsed = ENGINE_METHODS[method].safeParse(args);
  if (parsed.success) return { ok: true, args: parsed.data as unknown[] };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `argument ${issue.path.map(String).join('.')}` : 'arguments';
  return { ok: false, message: `${method}: ${where}: ${issue?.message ?? 'invalid'}` };
}
