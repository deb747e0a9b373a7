/**
 * The whole V2Ray 4.34 JSON config → typed config: parse each file, merge, build each section,
 * cross-check. V2Ray `infra/conf/v2ray.go` `Config.Build`.
 *
 * Top-level sections Porthole does not use: `stats` is accepted silently (Porthole always
 * counts traffic), `dns` is ignored with a warning (Porthole resolves with the OS), `transport`
 * is checked like `streamSettings`, and `api` is not supported yet (an error, since its routing
 * rules would point at an outbound that does not exist). The ignored ones still get V2Ray's
 * checks, so that Porthole passes only what `v2ray -test` passes. Sections 4.34 does not know
 * (`fakedns`, `observatory`: later versions) are unknown keys: a warning, as V2Ray ignores them.
 */
import type { PortholeConfig } from '../types.js';
import { crossCheck } from './cross-check.js';
import type { BuildContext } from './decode.js';
import { fail, typeError } from './decode.js';
import { checkDns } from './dns.js';
import { lastValue } from './go-types.js';
import { buildInbound } from './inbound.js';
import { parseJsonc } from './jsonc.js';
import { buildLog } from './log.js';
import type { TopLevel } from './merge.js';
import { mergeTopLevels, readTopLevel } from './merge.js';
import { buildOutbound } from './outbound.js';
import { buildPolicy } from './policy.js';
import { buildReverse } from './reverse.js';
import { buildRouting } from './routing.js';
import { checkTransport } from './stream.js';

export function buildFromTopLevel(ctx: BuildContext, top: TopLevel): PortholeConfig {
  if (top.api) fail('PH_CONFIG_UNSUPPORTED', top.api, 'the "api" section (gRPC control) is not supported by Porthole yet: remove it and its routing rule');
  checkDns(ctx, top.dns);
  // `stats` has no fields in 4.34, but it is a struct: only an object (or null) decodes.
  if (top.stats && top.stats.kind !== 'object') typeError(top.stats, 'an object');
  checkTransport(ctx, top.transport, [...(top.inbounds ?? []), ...(top.outbounds ?? [])].map((node) => lastValue(node, 'streamSettings')));
  const log = buildLog(ctx, top.log);
  const inbounds = (top.inbounds ?? []).map((node) => buildInbound(ctx, node));
  const outbounds = (top.outbounds ?? []).map((node) => buildOutbound(ctx, node));
  const routing = buildRouting(ctx, top.routing);
  const reverse = buildReverse(ctx, top.reverse);
  const policy = buildPolicy(ctx, top.policy);
  const config: PortholeConfig = { log, inbounds, outbounds, routing, reverse, ...(policy ? { policy } : {}) };
  crossCheck(ctx, config);
  return config;
}

export function buildFromSources(ctx: BuildContext, sources: readonly { readonly name: string; readonly text: string }[]): PortholeConfig {
  const files = sources.map((source) => {
    const parsed = parseJsonc(source.name, source.text);
    ctx.warnings.push(...parsed.warnings);
    return { name: source.name, top: readTopLevel(ctx, parsed.root) };
  });
  return buildFromTopLevel(ctx, mergeTopLevels(files));
}
