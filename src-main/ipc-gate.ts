/**
 * The main-process gate for IPC calls (Electron security checklist item 17, style.md point 11):
 * a call reaches the engine service only when it comes from our own renderer's top frame, names
 * a method of the contract and carries arguments that match the method's schema. The contract's
 * method table (`src-core/host/api/methods.ts`) is the single list of what may be called.
 * No `electron` import: the IPC handler passes `event.senderFrame.url`, whether the sender frame is
 * the top frame, and the message's `method` and `args`.
 */
import { checkArguments, isEngineMethodName } from '../src-core/host/api/index.js';
import type { EngineMethodName, ErrorEnvelope } from '../src-core/host/api/index.js';
import { exceedsIpcSize, MAX_IPC_CALL_BYTES } from './ipc-size.js';

export type GateResult =
  | { ok: true; method: EngineMethodName; args: unknown[] }
  | { ok: false; error: ErrorEnvelope };

/**
 * The origin our renderer is loaded from, e.g. `app://porthole` (custom protocol) or
 * `file:///opt/Porthole/resources/app.asar/dist/renderer/index.html` (file: has no origin, so
 * file: senders are matched by exact path, ignoring query and hash).
 */
export type AllowedOrigin = string;

function refuse(code: string, message: string): GateResult {
  return { ok: false, error: { code, message } };
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** True when `senderUrl` is a page of our renderer as `allowed` names it. */
export function isOwnRendererUrl(senderUrl: unknown, allowed: AllowedOrigin): boolean {
  if (typeof senderUrl !== 'string') return false;
  const sender = parseUrl(senderUrl);
  const own = parseUrl(allowed);
  if (!sender || !own) return false;
  if (own.protocol === 'file:') {
    return sender.protocol === 'file:' && sender.host === own.host && sender.pathname === own.pathname;
  }
  if (own.protocol !== 'app:') return false; // only our own schemes: never http(s) pages
  // URL.origin is "null" for non-special schemes, so compare scheme and host ourselves.
  return sender.protocol === own.protocol && sender.host === own.host && sender.username === '' && sender.password === '';
}

/**
 * Decides whether an IPC call may reach the service. Refusals use the contract's codes:
 * `PH_API_UNAUTHORIZED` (foreign sender or subframe), `PH_API_UNKNOWN_METHOD`, `PH_API_BAD_REQUEST`
 * (arguments over `MAX_IPC_CALL_BYTES`, as the dashboard's 413), `PH_API_BAD_ARGUMENTS`.
 */
export function gateIpcCall(senderFrameUrl: unknown, isTopFrame: boolean, method: unknown, args: unknown, allowed: AllowedOrigin): GateResult {
  if (isTopFrame !== true) return refuse('PH_API_UNAUTHORIZED', 'calls are accepted only from the Porthole window itself, not from a frame inside it');
  if (!isOwnRendererUrl(senderFrameUrl, allowed)) return refuse('PH_API_UNAUTHORIZED', 'calls are accepted only from the Porthole window');
  if (!isEngineMethodName(method)) {
    const shown = typeof method === 'string' ? `"${method.slice(0, 60)}"` : typeof method;
    return refuse('PH_API_UNKNOWN_METHOD', `no method ${shown} in the engine service`);
  }
  if (exceedsIpcSize(args)) return refuse('PH_API_BAD_REQUEST', `${method}: the call is larger than ${MAX_IPC_CALL_BYTES >> 20} MiB`);
  const checked = checkArguments(method, args);
  if (!checked.ok) return refuse('PH_API_BAD_ARGUMENTS', checked.message);
  return { ok: true, method, args: checked.args };
}
