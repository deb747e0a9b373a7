/** Outbound handlers by tag; the first one added is the default (V2Ray's `app/proxyman/outbound`). */
import { closeAll } from '../common/disposable.js';
import type { OutboundHandler, OutboundManager } from '../features/outbound.js';

export class DefaultOutboundManager implements OutboundManager {
  private readonly byTag = new Map<string, OutboundHandler>();
  private defaultHandler: OutboundHandler | undefined;

  getHandler(tag: string): OutboundHandler | undefined {
    return this.byTag.get(tag);
  }

  getDefaultHandler(): OutboundHandler | undefined {
    return this.defaultHandler;
  }

  addHandler(handler: OutboundHandler): void {
    this.defaultHandler ??= handler;
    if (handler.tag) this.byTag.set(handler.tag, handler);
  }

  async removeHandler(tag: string): Promise<void> {
    const handler = this.byTag.get(tag);
    if (!handler) return;
    this.byTag.delete(tag);
    if (this.defaultHandler === handler) this.defaultHandler = this.byTag.values().next().value;
    await handler.close();
  }

  async close(): Promise<void> {
    const handlers = new Set([...this.byTag.values(), ...(this.defaultHandler ? [this.defaultHandler] : [])]);
    this.byTag.clear();
    this.defaultHandler = undefined;
    await closeAll(handlers);
  }
}
