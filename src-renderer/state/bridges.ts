/**
 * A bridge's link problem as its card shows it: a short headline in plain words, then the
 * engine's own line (the same reason the log gives, naming the peer: `wss://host:port/path`,
 * `tls to host:port`). Pure, so it is tested without a page.
 */
import type { ErrorEnvelope } from '../../src-core/host/api/index.js';

export interface LinkProblemView {
  /** E.g. "The portal’s certificate is not trusted". */
  title: string;
  /** The engine's message without the bridge's prefix ("could not open a link to the portal: "). */
  detail: string;
}

const HEADLINES: { test: RegExp; title: string }[] = [
  { test: /certificate is not trusted/, title: 'The portal’s certificate is not trusted' },
  { test: /certificate is not valid for/, title: 'The portal’s certificate is for another name' },
  { test: /server has no certificate for/, title: 'The portal has no certificate for this name yet' },
  { test: /answered 404 [^:]*instead of switching to WebSocket/, title: 'Wrong WebSocket path' },
  { test: /HTTP request to an HTTPS server/, title: 'The portal expects TLS' },
  { test: /instead of switching to WebSocket/, title: 'The server answered plain HTTP, not WebSocket' },
  { test: /did not answer the TLS handshake/, title: 'No TLS at the portal’s address' },
  { test: /did not speak TLS|wrong version number|packet length too long/, title: 'TLS mismatch' },
  { test: /timed? ?out|no answer in/i, title: 'The portal did not answer in time' },
];

const BY_CODE: Record<string, string> = {
  PH_DIAL_REFUSED: 'Nothing listens at the portal’s address',
  PH_DIAL_TIMEOUT: 'The portal did not answer in time',
  PH_PORTAL_SILENT: 'The portal has not answered the link',
};

/** Headline and detail for `BridgeState.problem`. */
export function describeLinkProblem(problem: ErrorEnvelope): LinkProblemView {
  // Kept as the log writes it (lower case, peer first), so the two can be matched by eye.
  const detail = problem.message.replace(/^(could not open a link to the portal|link to the portal lost): /, '');
  const lost = problem.message.startsWith('link to the portal lost');
  const title = HEADLINES.find((entry) => entry.test.test(problem.message))?.title ?? BY_CODE[problem.code] ?? (lost ? 'The link to the portal was lost' : 'Cannot link to the portal');
  return { title, detail };
}
