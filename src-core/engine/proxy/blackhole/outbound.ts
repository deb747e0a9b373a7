/**
 * blackhole (V2Ray's `proxy/blackhole`): drops the connection, optionally after V2Ray's canned
 * HTTP 403 response (LF line ends, as in V2Ray's source) and a one-second wait.
 */
import type { Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { Link } from '../../transport/link.js';

export const HTTP_403_RESPONSE = 'HTTP/1.1 403 Forbidden\nConnection: close\nCache-Control: max-age=3600, public\nContent-Length: 0\n\n\n';

export interface BlackholeSettings {
  response: 'none' | 'http';
}

export class BlackholeOutbound implements OutboundHandler {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly tag: string, private readonly settings: BlackholeSettings) {}

  process(_session: Session, _target: Destination, link: Link): void {
    link.on('error', () => {});
    if (this.settings.response !== 'http') {
      link.destroy();
      return;
    }
    link.resume();
    link.write(HTTP_403_RESPONSE);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      link.destroy();
    }, 1000);
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
