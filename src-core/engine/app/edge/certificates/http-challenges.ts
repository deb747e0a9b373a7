/**
 * The HTTP-01 answers being validated right now (RFC 8555 section 8.3): the issuer puts a token's
 * key authorization here before telling the CA to look, and takes it away once the CA has decided;
 * the edge's HTTP listener reads them for `/.well-known/acme-challenge/<token>`.
 */
import { toDisposable, type Disposable } from '../../../common/disposable.js';
import type { HttpChallengeResponder } from '../certificate-source.js';

export class HttpChallenges implements HttpChallengeResponder {
  private readonly answers = new Map<string, string>();

  /** Answers `token` with `keyAuthorization` until the returned handle is disposed. */
  publish(token: string, keyAuthorization: string): Disposable {
    this.answers.set(token, keyAuthorization);
    return toDisposable(() => {
      if (this.answers.get(token) === keyAuthorization) this.answers.delete(token);
    });
  }

  keyAuthorization(token: string): string | undefined {
    return this.answers.get(token);
  }

  get size(): number {
    return this.answers.size;
  }
}
