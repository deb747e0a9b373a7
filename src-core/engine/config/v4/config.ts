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
 *
 * Loading stops at the first error. Validating for the editor (`ctx.errors` set) checks each
 * section, inbound, outbound, rule and reverse entry on its own and collects every error; the
 * cross-checks then run only when every element built, since a missing element would make them
 * report tags that are in fact there.
 */
import type { PortholeConfig } from '../types.js';
import { crossCheck } from './cross-check.js';
import type { BuildContext } from './decode.js';
import { attempt, buildEach, fail, reportError, typeError } from './decode.js';
import { checkDns } from './dns.js';
import { lastValue } from './go-types.js';
import { buildInbound } from './inbound.js';
import { parseJsoncAll } from './jsonc.js';
import { buildLog } from './log.js';
import type { TopLevel } from './merge.js';
import { mergeTopLevels, readTopLevel } from './merge.js';
import { buildOutbound } from './outbound.js';
import { buildPolicy } from './policy.js';
import { buildReverse } from './reverse.js';
import { buildRouting } from './routing.js';
import { checkTransport } from './stream.js';

export function buildFromTopLevel(ctx: BuildContext, top: TopLevel): PortholeConfig {
  const api = top.api;
  if (api) attempt(ctx, () => fail('PH_CONFIG_UNSUPPORTED', api, 'the "api" section (gRPC control) is not supported by Porthole yet: remove it and its routing rule'));
  attempt(ctx, () => checkDns(ctx, top.dns));
  // `stats` has no fields in 4.34, but it is a struct: only an object (or null) decodes.
  const stats = top.stats;
  if (stats && stats.kind !== 'object') attempt(ctx, () => typeError(stats, 'an object'));
  attempt(ctx, () => checkTransport(ctx, top.transport, [...(top.inbounds ?? []), ...(top.outbounds ?? [])].map((node) => lastValue(node, 'streamSettings'))));
  const errorsBefore = ctx.errors?.length ?? 0;
  const log = attempt(ctx, () => buildLog(ctx, top.log)) ?? buildLog(ctx, undefined);
  const inbounds = buildEach(ctx, top.inbounds ?? [], (node) => buildInbound(ctx, node));
  const outbounds = buildEach(ctx, top.outbounds ?? [], (node) => buildOutbound(ctx, node));
  const routing = attempt(ctx, () => buildRouting(ctx, top.routing)) ?? buildRouting(ctx, undefined);
  const reverse = attempt(ctx, () => buildReverse(ctx, top.reverse)) ?? buildReverse(ctx, undefined);
  const policy = attempt(ctx, () => buildPolicy(ctx, top.policy));
  const config: PortholeConfig = { log, inbounds, outbounds, routing, reverse, ...(policy ? { policy } : {}) };
  if ((ctx.errors?.length ?? 0) === errorsBefore) crossCheck(ctx, config);
  return config;
}

export function buildFromSources(ctx: BuildContext, sources: readonly { readonly name: string; readonly text: string }[]): PortholeConfig {
  const files: { name: string; top: TopLevel }[] = [];
  for (const source of sources) {
    const result = parseJsoncAll(source.name, source.text);
    if (!result.ok) {
      for (const error of result.errors) reportError(ctx, error);
      continue;
    }
    ctx.warnings.push(...result.parsed.warnings);
    const top = attempt(ctx, () => readTopLevel(ctx, result.parsed.root));
    if (top) files.push({ name: source.name, top });
  }
  // A file that did not parse leaves the merge without its sections: checking the rest would
  // report mistakes that are not there, so the syntax errors come first, alone.
  if (files.length < sources.length) return buildFromTopLevel(ctx, {});
  return buildFromTopLevel(ctx, mergeTopLevels(files));
}
