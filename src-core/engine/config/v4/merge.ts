/**
 * Several config files, merged as V2Ray 4.34 merges `-config a.json -config b.json`
 * (`main/jsonem/jsonem.go`, `infra/conf/v2ray.go` `Config.Override`):
 *
 * - The first file is taken as is. Each later file overrides it section by section.
 * - `log`, `routing`, `dns`, `transport`, `policy`, `api`, `stats`, `reverse`: a section present
 *   (and not null) in the later file replaces the whole section.
 * - `inbounds`: when the later file has exactly one inbound and the merged config already has
 *   some, that inbound replaces the first one with the same tag (an untagged one replaces the
 *   first untagged one) or, if no tag matches, is appended. Otherwise a non-empty list replaces
 *   the whole list.
 * - `outbounds`: the same, except that an unmatched single outbound is *prepended* (becoming the
 *   default outbound), unless the later file's name contains "tail" (any case): then appended.
 *
 * Merging works on the parsed JSON, so items keep their own file and path for error messages.
 * Sections that a later file replaces are not validated (V2Ray type-checks them, then drops them).
 */
import type { BuildContext } from './decode.js';
import { Struct, fail, foldKey, readArray, readString } from './decode.js';
import type { JsonNode } from './jsonc.js';

const SECTIONS = ['log', 'routing', 'dns', 'transport', 'policy', 'api', 'stats', 'reverse'] as const;
type Section = (typeof SECTIONS)[number];

const DEPRECATED: Record<string, string> = {
  port: 'the top-level "port" is deprecated: put the port in an entry of "inbounds"',
  inbound: '"inbound" is deprecated: use the "inbounds" list',
  outbound: '"outbound" is deprecated: use the "outbounds" list',
  inboundDetour: '"inboundDetour" is deprecated: use the "inbounds" list',
  outboundDetour: '"outboundDetour" is deprecated: use the "outbounds" list',
};

/** The top level of one file, or of the merged config. */
export type TopLevel = {
  readonly [K in Section]?: JsonNode;
} & {
  readonly inbounds?: readonly JsonNode[];
  readonly outbounds?: readonly JsonNode[];
};

/** Reads the top-level object of one file. Deprecated V2Ray fields are reported as not supported. */
export function readTopLevel(ctx: BuildContext, root: JsonNode): TopLevel {
  if (root.kind !== 'object' && root.kind !== 'null') {
    fail('PH_CONFIG_TYPE', root, `the top level of a config must be an object such as {"inbounds": [...], "outbounds": [...]}, got ${root.kind === 'array' ? 'a list' : 'a ' + root.kind}`);
  }
  const s = new Struct(ctx, root, [...SECTIONS, 'inbounds', 'outbounds', ...Object.keys(DEPRECATED)]);
  for (const [field, message] of Object.entries(DEPRECATED)) {
    const node = s.get(field);
    if (node) fail('PH_CONFIG_UNSUPPORTED', node, `${message} (Porthole does not read deprecated fields)`);
  }
  const top: { -readonly [K in keyof TopLevel]: TopLevel[K] } = {};
  for (const section of SECTIONS) {
    const node = s.get(section);
    if (node) top[section] = node;
  }
  const inbounds = readArray(s.get('inbounds'), 'a list of inbounds');
  if (inbounds) top.inbounds = inbounds;
  const outbounds = readArray(s.get('outbounds'), 'a list of outbounds');
  if (outbounds) top.outbounds = outbounds;
  return top;
}

/** The `tag` of an inbound/outbound as Go decodes it ("" when missing or null). */
function tagOf(node: JsonNode): string {
  if (node.kind !== 'object') return '';
  const member = [...node.members].reverse().find((m) => foldKey(m.key) === 'tag');
  if (!member || member.value.kind === 'null') return '';
  return readString(member.value) ?? '';
}

function overrideList(current: readonly JsonNode[] | undefined, next: readonly JsonNode[] | undefined, prepend: boolean): readonly JsonNode[] | undefined {
  if (!next || next.length === 0) return current;
  const only = next[0];
  if (current && current.length > 0 && next.length === 1 && only) {
    const tag = tagOf(only);
    const index = current.findIndex((item) => tagOf(item) === tag);
    if (index >= 0) return current.map((item, i) => (i === index ? only : item));
    return prepend ? [only, ...current] : [...current, only];
  }
  return next;
}

/** Merges the files' top levels, in order. */
export function mergeTopLevels(files: readonly { readonly name: string; readonly top: TopLevel }[]): TopLevel {
  let merged: TopLevel = {};
  files.forEach(({ name, top }, index) => {
    if (index === 0) { merged = top; return; }
    const next: { -readonly [K in keyof TopLevel]: TopLevel[K] } = { ...merged };
    for (const section of SECTIONS) {
      const node = top[section];
      if (node) next[section] = node;
    }
    const inbounds = overrideList(merged.inbounds, top.inbounds, false);
    if (inbounds) next.inbounds = inbounds;
    const outbounds = overrideList(merged.outbounds, top.outbounds, !name.toLowerCase().includes('tail'));
    if (outbounds) next.outbounds = outbounds;
    merged = next;
  });
  return merged;
}
