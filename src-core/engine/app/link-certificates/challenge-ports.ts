/**
 * The plain-HTTP listeners that answer ACME HTTP-01 challenges for TLS inbounds, one per address
 * and port, shared: two inbounds that get certificates (VMess on 443, VLESS on 8443) both answer
 * the CA on port 80. A listener answers `/.well-known/acme-challenge/<token>` from whichever of
 * its inbounds' certificate managers is validating that token, 404 for anything else, and closes
 * with the last inbound that uses it. One per engine.
 */
import http from 'node:http';
import type { HttpChallengeResponder } from '../edge/certificate-source.js';
import { closeServer, listenTcp } from '../../transport/tcp.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

interface SharedListener {
  responders: Set<HttpChallengeResponder>;
  ready: Promise<{ close(): Promise<void> }>;
}

/** Binds to every address of its port: a link on any address of that port is answered there. */
const WILDCARDS = new Set(['::', '0.0.0.0']);

export class ChallengePorts {
  private readonly listeners = new Map<string, SharedListener>();
  /** Ports a portal's edge serves over HTTP (it answers challenges for any name): links answer there. */
  private readonly edges: { host: string; port: number; responders: Set<HttpChallengeResponder> }[] = [];

  /**
   * A portal's edge takes host:port for its HTTP listener: links that get certificates on that
   * port answer through the edge (`responder`) instead of binding it too. Registered when the
   * portal is made, before any inbound starts.
   */
  serveWith(host: string, port: number): { responder: HttpChallengeResponder; release(): void } {
    const entry = { host, port, responders: new Set<HttpChallengeResponder>() };
    this.edges.push(entry);
    return {
      responder: { keyAuthorization: (token) => firstAnswer(entry.responders, token) },
      release: () => {
        const index = this.edges.indexOf(entry);
        if (index >= 0) this.edges.splice(index, 1);
      },
    };
  }

  /**
   * Answers `responder`'s challenges on host:port (binding it unless another inbound did); the
   * returned function stops that. Rejects with the listen error (EADDRINUSE, EACCES) as its cause.
   */
  async answer(host: string, port: number, responder: HttpChallengeResponder): Promise<() => Promise<void>> {
    const edge = [...this.edges].reverse().find((candidate) => candidate.port === port && (candidate.host === host || WILDCARDS.has(candidate.host)));
    if (edge) {
      edge.responders.add(responder);
      return async () => { edge.responders.delete(responder); };
    }
    const key = `${host}|${port}`;
    let shared = this.listeners.get(key);
    if (!shared) {
      const responders = new Set<HttpChallengeResponder>();
      shared = { responders, ready: listenForChallenges(host, port, responders) };
      this.listeners.set(key, shared);
      shared.ready.catch(() => this.listeners.delete(key));
    }
    const entry = shared;
    entry.responders.add(responder);
    try {
      await entry.ready;
    } catch (error) {
      entry.responders.delete(responder);
      throw error;
    }
    return async () => {
      if (!entry.responders.delete(responder) || entry.responders.size > 0) return;
      if (this.listeners.get(key) === entry) this.listeners.delete(key);
      await (await entry.ready).close();
    };
  }
}

/** Bound as the engine's listeners are (`::` falls back to IPv4, accept errors survived). */
async function listenForChallenges(host: string, port: number, responders: ReadonlySet<HttpChallengeResponder>): Promise<{ close(): Promise<void> }> {
  const answers = http.createServer((req, res) => {
    const path = req.url ?? '';
    const token = path.startsWith(CHALLENGE_PREFIX) ? path.slice(CHALLENGE_PREFIX.length) : '';
    const answer = /^[A-Za-z0-9_-]+$/.test(token) ? firstAnswer(responders, token) : undefined;
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' || answer === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: this port only answers ACME HTTP-01 challenges.\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer);
  });
  answers.headersTimeout = 10_000;
  answers.requestTimeout = 10_000;
  const listener = await listenTcp({ host, port }, (socket) => answers.emit('connection', socket));
  return {
    async close() {
      await closeServer(listener);
      answers.closeAllConnections();
    },
  };
}

function firstAnswer(responders: ReadonlySet<HttpChallengeResponder>, token: string): string | undefined {
  for (const responder of responders) {
    const answer = responder.keyAuthorization(token);
    if (answer !== undefined) return answer;
  }
  return undefined;
}
