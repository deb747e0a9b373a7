/**
 * The optional native heap trimmer (heap.c): gives the C heap's free pages back to the system.
 * memory-tuning.ts calls it when traffic goes quiet. `PORTHOLE_NATIVE_HEAP=0` turns it off.
 */
import { loadAddon } from './load.js';

export interface NativeHeap {
  /** glibc's malloc_trim(0); true when memory was released (always false elsewhere). */
  trim(): boolean;
}

const loaded = loadAddon<NativeHeap>('porthole_heap', { disabledBy: 'PORTHOLE_NATIVE_HEAP', needsOpenSsl: false });

/** The addon, or undefined when it is not available here (see `nativeHeapStatus`). */
export const nativeHeap: NativeHeap | undefined = loaded.addon;
/** Why the addon is or is not in use. */
export const nativeHeapStatus: string = loaded.reason;
