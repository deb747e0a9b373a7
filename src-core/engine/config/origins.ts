/**
 * Where built items came from, and the warnings of a load, kept beside the typed config (in
 * WeakMaps) so that the config itself stays plain data that deep-equals after a round trip.
 */
import type { PortholeError } from '../common/errors.js';
import type { ConfigOrigin, PortholeConfig } from './types.js';

/** Item → where it was written. Filled by the builders. */
export const ITEM_ORIGINS = new WeakMap<object, ConfigOrigin>();
/** Item → field name → where that field's value was written. */
export const FIELD_ORIGINS = new WeakMap<object, Map<string, ConfigOrigin>>();
const WARNINGS = new WeakMap<PortholeConfig, readonly PortholeError[]>();

/**
 * Where a built item (an inbound, outbound, rule, bridge, portal, VMess user or server) was
 * written: `{file, line, column, path}`, ready to spread into `PortholeError` options. Undefined
 * for objects `loadConfig` did not build (e.g. a structured clone).
 */
export function originOf(item: object): ConfigOrigin | undefined {
  return ITEM_ORIGINS.get(item);
}

/** Where one field of an item was written, falling back to the item with the field's path. */
export function fieldOriginOf(item: object, field: string): ConfigOrigin | undefined {
  const exact = FIELD_ORIGINS.get(item)?.get(field);
  if (exact) return exact;
  const origin = ITEM_ORIGINS.get(item);
  return origin ? { ...origin, path: origin.path === '' ? field : `${origin.path}.${field}` } : undefined;
}

/**
 * Warnings from loading `config` (severity 'warning'): unknown keys, values V2Ray reads in a
 * surprising way, ignored features. Format each with `formatErrorLine`.
 */
export function warningsOf(config: PortholeConfig): readonly PortholeError[] {
  return WARNINGS.get(config) ?? [];
}

export function setWarnings(config: PortholeConfig, warnings: readonly PortholeError[]): void {
  WARNINGS.set(config, warnings);
}
