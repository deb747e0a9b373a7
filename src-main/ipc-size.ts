/**
 * The size cap on an IPC call's arguments: the counterpart of the dashboard's request-body limit,
 * so a call the dashboard would answer with 413 is refused over IPC too, with a message that says
 * why, before the schemas or the engine look at it. IPC arrives already deserialised (structured
 * clone), so the size is estimated by walking the value, the way JSON would spell it; the walk stops
 * as soon as it passes the cap, and is iterative, so deep nesting or a cycle cannot hang or
 * overflow it.
 */

/** The same cap as the dashboard's body limit: calls are small, a profile text is at most 1 MiB. */
export const MAX_IPC_CALL_BYTES = 2 << 20;

/** Rough bytes of a scalar or a container's own punctuation, as JSON would spell it. */
function ownSize(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  return 8;
}

/** Keys and values of a Map or a plain object, lazily, so the walk can stop early. */
function* keysAndValues(value: Map<unknown, unknown> | Record<string, unknown>): Iterable<unknown> {
  if (value instanceof Map) {
    for (const entry of value) yield* entry;
    return;
  }
  for (const key of Object.keys(value)) {
    yield key;
    yield value[key];
  }
}

/** The values inside a container that structured clone can carry (arrays, plain objects, Map, Set). */
function childrenOf(value: unknown): Iterable<unknown> {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return [];
  if (Array.isArray(value) || value instanceof Set) return value;
  return keysAndValues(value as Map<unknown, unknown> | Record<string, unknown>);
}

/** True when `value` would take more than `maxBytes` as JSON (roughly: strings count characters). */
export function exceedsIpcSize(value: unknown, maxBytes: number = MAX_IPC_CALL_BYTES): boolean {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    total += ownSize(next);
    if (total > maxBytes) return true;
    for (const child of childrenOf(next)) {
      pending.push(child);
      // A wide container counts as it is queued, so a huge array is refused without queuing all of it.
      total += 1;
      if (total > maxBytes) return true;
    }
  }
  return false;
}
