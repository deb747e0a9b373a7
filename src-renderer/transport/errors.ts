import type { ErrorEnvelope, ErrorWhere } from '../../src-core/host/api/index.js';

/** A failed engine call on the renderer side: the service's envelope, as an Error. */
export class EngineCallError extends Error implements ErrorEnvelope {
  readonly code: string;
  readonly where?: ErrorWhere;

  constructor(envelope: ErrorEnvelope) {
    super(envelope.message);
    this.name = 'EngineCallError';
    this.code = envelope.code;
    if (envelope.where) this.where = envelope.where;
  }
}

/** Whatever a call threw → an envelope the UI can show (code checks, never `instanceof`). */
export function envelopeOf(error: unknown): ErrorEnvelope {
  if (typeof error === 'object' && error !== null) {
    const candidate = error as { code?: unknown; message?: unknown; where?: ErrorWhere };
    if (typeof candidate.code === 'string' && typeof candidate.message === 'string') {
      return candidate.where ? { code: candidate.code, message: candidate.message, where: candidate.where } : { code: candidate.code, message: candidate.message };
    }
    if (error instanceof Error) return { code: 'PH_INTERNAL', message: error.message };
  }
  return { code: 'PH_INTERNAL', message: String(error) };
}
