/**
 * Rejected handshakes by protocol and reason, counted from the lines the inbounds summarise
 * (`rejected <KIND> <address>`, `handshake timeout <address>`, `transport <address>` for TLS or
 * WebSocket, `fallback none <address>`). The address is dropped: labels stay bounded by the
 * error kinds the engine names, never by who knocked.
 */
import type { DefaultLogger } from '../../engine/app/log/logger.js';

/** The inbounds whose rejections count, by logger component. */
const PROTOCOL_OF: Record<string, string> = {
  'proxy/vmess/inbound': 'vmess',
  'proxy/vless/inbound': 'vless',
};

/** The reason a summarised key names, or undefined when the line is not a rejected handshake. */
export function rejectionReason(key: string): string | undefined {
  const words = key.split(' ');
  if (words[0] === 'rejected' && words.length >= 2) return safeReason(words[1] ?? '');
  if (words[0] === 'handshake' && words[1] === 'timeout') return 'timeout';
  if (words[0] === 'transport') return 'transport';
  if (words[0] === 'fallback' && words[1] === 'none') return 'no_fallback';
  return undefined;
}

/** Error kinds are codes like `PH_VMESS_AUTH_FAILED`; anything else is cut to a safe, short label. */
function safeReason(kind: string): string {
  return kind.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 48) || 'unknown';
}

export interface HandshakeFailure {
  protocol: string;
  reason: string;
  count: number;
}

/** Counts across engine runs: a new engine (profile switch) is followed by `watch` again. */
export class HandshakeFailures {
  private readonly counts = new Map<string, HandshakeFailure>();
  private watched: DefaultLogger | undefined;
  private unsubscribe: (() => void) | undefined;

  /** Listens to `logger` (once per logger; the previous one is let go). */
  watch(logger: DefaultLogger | undefined): void {
    if (logger === this.watched) return;
    this.unsubscribe?.();
    this.watched = logger;
    this.unsubscribe = logger?.onSummarised((_level, component, key) => this.note(component, key));
  }

  note(component: string, key: string): void {
    const protocol = PROTOCOL_OF[component];
    if (!protocol) return;
    const reason = rejectionReason(key);
    if (!reason) return;
    const id = `${protocol} ${reason}`;
    const entry = this.counts.get(id);
    if (entry) entry.count += 1;
    else this.counts.set(id, { protocol, reason, count: 1 });
  }

  list(): HandshakeFailure[] {
    return [...this.counts.values()];
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.watched = undefined;
  }
}
