/**
 * How the edge gets certificates without knowing where they come from (ACME or the owner's
 * files): the HTTPS listener asks for a context per SNI name, and the HTTP listener answers
 * ACME HTTP-01 challenges from the same source.
 */
import type { SecureContext } from 'node:tls';

export interface CertificateSource {
  /** The context to present for `servername` (lower case); undefined: none (the handshake then uses the default, if any). */
  contextFor(servername: string): SecureContext | undefined;
  /** What to present when the visitor sent no SNI or a name without a certificate. */
  defaultContext(): SecureContext | undefined;
}

export interface HttpChallengeResponder {
  /** The key authorization for an ACME HTTP-01 token being validated now; undefined: no such challenge. */
  keyAuthorization(token: string): string | undefined;
}
