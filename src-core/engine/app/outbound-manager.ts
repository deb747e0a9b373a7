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

  /**
   * Makes `handlers` the whole set, in order (the first is the default), and closes the handlers
   * that are no longer in it. Handlers kept across a reload are the same objects.
   */
  async replaceAll(handlers: readonly OutboundHandler[]): Promise<void> {
    const before = new Set([...this.byTag.values(), ...(this.defaultHandler ? [this.defaultHandler] : [])]);
    this.byTag.clear();
    this.defaultHandler = undefined;
    for (const handler of handlers) this.addHandler(handler);
    for (const handler of handlers) before.delete(handler);
    await closeAll(before);
  }

  async close(): Promise<void> {
    const handlers = new Set([...this.byTag.values(), ...(this.defaultHandler ? [this.defaultHandler] : [])]);
    this.byTag.clear();
    this.defaultHandler = undefined;
    await closeAll(handlers);
  }
}
