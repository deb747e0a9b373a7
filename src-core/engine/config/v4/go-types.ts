/**
 * Go `encoding/json` type checks for values Porthole reads but does not use (the `dns` section,
 * settings of transports it does not speak, `tlsSettings` while TLS is off). V2Ray 4.34 decodes
 * the whole file into its structs before anything else, so a wrong type anywhere fails `v2ray
 * -test` even where the value would never be used: a number where a string goes, a negative
 * number in an unsigned field, a string where a list goes.
 *
 * Go semantics: `null` leaves a field unset; struct keys match exactly, else case-insensitively;
 * unknown keys are ignored (silently here: the whole section is ignored, with one warning); every
 * occurrence of a repeated key is decoded, so each is checked.
 */
import { foldKey, readStringList, readUint, readInt, typeError } from './decode.js';
import type { JsonNode } from './jsonc.js';

/** A Go field type, as JSON sees it. `raw` is `json.RawMessage`: anything. */
export type GoType =
  | 'string' | 'bool' | 'uint16' | 'uint32' | 'int32' | 'stringList' | 'raw'
  | { readonly struct: Readonly<Record<string, GoType>> }
  | { readonly list: GoType }
  | { readonly map: GoType };

/** The Go struct field a JSON key decodes into: exact name first, then the first that folds equal. */
export function goField(fields: readonly string[], key: string): string | undefined {
  return fields.includes(key) ? key : fields.find((field) => foldKey(field) === foldKey(key));
}

/** The value that ends up in `field` (the last occurrence wins), or undefined when unset or null. */
export function lastValue(node: JsonNode | undefined, field: string): JsonNode | undefined {
  if (node?.kind !== 'object') return undefined;
  const member = [...node.members].reverse().find((m) => foldKey(m.key) === foldKey(field));
  return member && member.value.kind !== 'null' ? member.value : undefined;
}

/** Throws a PH_CONFIG_TYPE error at the first value that Go could not decode into `type`. */
export function checkGoType(node: JsonNode, type: GoType): void {
  if (node.kind === 'null' || type === 'raw') return;
  switch (type) {
    case 'string': if (node.kind !== 'string') typeError(node, 'a string'); return;
    case 'bool': if (node.kind !== 'boolean') typeError(node, 'true or false'); return;
    case 'uint16': readUint(node, 16); return;
    case 'uint32': readUint(node, 32); return;
    case 'int32': readInt(node, 32); return;
    case 'stringList': readStringList(node); return;
  }
  if ('list' in type) {
    if (node.kind !== 'array') typeError(node, 'a list');
    for (const item of node.items) checkGoType(item, type.list);
    return;
  }
  if (node.kind !== 'object') typeError(node, 'an object');
  if ('map' in type) {
    for (const member of node.members) checkGoType(member.value, type.map);
    return;
  }
  const fields = Object.keys(type.struct);
  for (const member of node.members) {
    const field = goField(fields, member.key);
    const fieldType = field === undefined ? undefined : type.struct[field];
    if (fieldType !== undefined) checkGoType(member.value, fieldType);
  }
}
