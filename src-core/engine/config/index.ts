/**
 * Porthole's config layer: V2Ray 4.34 JSON in, typed runtime config out (style.md point 7).
 *
 * ```ts
 * const config = loadConfigFiles(['bridge.json']);      // throws PortholeError (PH_CONFIG_*)
 * const { errors } = validateConfig(sources);           // every error, in file order (the editor)
 * for (const w of warningsOf(config)) log.warn(formatErrorLine(w));
 * const json = exportV2RayConfig(config);               // what `v2ray -test` accepts
 * const text = exportV2RayText(source);                 // the same, keeping the user's comments
 * ```
 *
 * Errors are one line with `formatErrorLine(err)`: `file:line:column: json.path: message`.
 */
import { readFileSync } from 'node:fs';
import { PortholeError } from '../common/errors.js';
import { checkLogFiles } from './log-files.js';
import { setWarnings } from './origins.js';
import type { PortholeConfig } from './types.js';
import { buildFromSources } from './v4/config.js';
import { createBuildContext } from './v4/decode.js';
import { exportConfig } from './v4/export.js';
import { exportConfigText } from './v4/export-text.js';

/** One config file's text; `name` (usually its path) is what errors show. */
export interface ConfigSource {
  name: string;
  text: string;
}

export interface LoadOptions {
  /** Environment for `"port": "env:NAME"`; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses, merges (as `v2ray -config a.json -config b.json` does), builds and cross-checks.
 * Throws a `PortholeError` with a `PH_CONFIG_*` code and the place of the first error.
 * Warnings are available from `warningsOf(config)`.
 */
export function loadConfig(sources: ConfigSource[], options: LoadOptions = {}): PortholeConfig {
  if (sources.length === 0) throw new PortholeError('PH_CONFIG_FILE', 'no config file given');
  const ctx = createBuildContext(options.env ?? process.env);
  const config = buildFromSources(ctx, sources);
  setWarnings(config, ctx.warnings);
  return config;
}

/** What `validateConfig` finds: every error (in place order) and warning; the config when there is no error. */
export interface ConfigValidation {
  readonly errors: readonly PortholeError[];
  readonly warnings: readonly PortholeError[];
  readonly config: PortholeConfig | undefined;
}

/**
 * Checks like `loadConfig`, but reports every error instead of the first: every syntax error (one
 * per line); else each section, inbound, outbound, routing rule and reverse entry checked on its
 * own, then the cross-checks once everything built. Errors are ordered by file (as given), line
 * and column; the first of them in check order is what `loadConfig` throws.
 */
export function validateConfig(sources: ConfigSource[], options: LoadOptions = {}): ConfigValidation {
  if (sources.length === 0) return { errors: [new PortholeError('PH_CONFIG_FILE', 'no config file given')], warnings: [], config: undefined };
  const ctx = createBuildContext(options.env ?? process.env, { collectErrors: true });
  const config = buildFromSources(ctx, sources);
  const errors = [...(ctx.errors ?? [])].sort(byPlace(sources.map((source) => source.name)));
  if (errors.length > 0) return { errors, warnings: ctx.warnings, config: undefined };
  setWarnings(config, ctx.warnings);
  return { errors, warnings: ctx.warnings, config };
}

/** Orders errors by file (in the order given), then line and column; placeless ones first. */
function byPlace(files: readonly string[]): (a: PortholeError, b: PortholeError) => number {
  const key = (error: PortholeError): [number, number, number] => [
    error.place.file === undefined ? -1 : files.indexOf(error.place.file), error.place.line ?? 0, error.place.column ?? 0,
  ];
  return (a, b) => {
    const [fileA, lineA, columnA] = key(a);
    const [fileB, lineB, columnB] = key(b);
    return fileA - fileB || lineA - lineB || columnA - columnB;
  };
}

/**
 * Reads the files (UTF-8) and calls `loadConfig`. A missing or unreadable file is PH_CONFIG_FILE.
 * Then, since the config is for this machine, checks its log files as V2Ray does at load
 * (`checkLogFiles`): a log that cannot be opened is PH_CONFIG_VALUE at `log.access`/`log.error`.
 */
export function loadConfigFiles(paths: string[], options: LoadOptions = {}): PortholeConfig {
  if (paths.length === 0) throw new PortholeError('PH_CONFIG_FILE', 'no config file given');
  const sources = paths.map((path): ConfigSource => {
    try {
      return { name: path, text: readFileSync(path, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : 'cannot read it';
      throw new PortholeError('PH_CONFIG_FILE', `cannot read config file: ${why}`, { file: path, cause: error });
    }
  });
  const config = loadConfig(sources, options);
  checkLogFiles(config);
  return config;
}

/**
 * Typed config → V2Ray JSON that `v2ray -test` accepts and that `loadConfig` turns back into an
 * equal `PortholeConfig`. Keys are spelled as in V2Ray's docs.
 */
export function exportV2RayConfig(config: PortholeConfig): Record<string, unknown> {
  return exportConfig(config);
}

/**
 * One config file's own text, runnable by V2Ray: Porthole-only members (a portal's `exposures`)
 * are cut out, and comments and layout stay as written. The text must load (`loadConfig`).
 */
export function exportV2RayText(source: ConfigSource): string {
  return exportConfigText(source.name, source.text);
}

export { checkLogFiles } from './log-files.js';
export { fieldOriginOf, originOf, warningsOf } from './origins.js';
export {
  DEFAULT_ACME_STORAGE, DEFAULT_BUFFER_BYTES, DEFAULT_EXPOSURES_PER_USER, DEFAULT_LEVEL_POLICY, cidrContains, compileDomainMatcher, policyForLevel, portInRanges, resolveVmessSecurity,
} from './runtime.js';
export type {
  BlackholeOutbound, BridgeConfig, Cidr, ConfigOrigin, DokodemoInbound, DokodemoSettings, DomainMatcher, FreedomDomainStrategy,
  FreedomOutbound, FreedomSettings, InboundConfig, InboundProtocol, LevelPolicy, LevelPolicySettings, LogConfig, LogLevel, LogTarget,
  MuxConfig, Network, OutboundConfig, OutboundProtocol, PolicyConfig, PortalConfig, PortalExposuresConfig, PortalNamesConfig, AcmeConfig, LinkAcmeConfig, PortRange, PortholeConfig, ReverseConfig,
  RoutingConfig, RoutingDomainStrategy, RoutingRule, SystemPolicy, VmessInbound, VmessInboundSettings, VmessOutbound,
  VmessOutboundSettings, VmessSecurity, VmessServer, VmessUser,
  VlessFallback, VlessInbound, VlessInboundSettings, VlessOutbound, VlessOutboundSettings, VlessServer, VlessUser,
  HttpInbound, HttpInboundSettings, ProxyAccount, SocksInbound, SocksInboundSettings,
} from './types.js';
