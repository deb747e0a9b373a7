/**
 * One ACME order, start to finish, through `acme-client`: account (terms agreed, contact if
 * given), order for one name, HTTP-01 answered through `HttpChallenges`, CSR for a key the caller
 * made, certificate chain. It knows nothing of storage, renewal or retries: the manager does.
 *
 * acme-client sends through one shared axios instance, so this issuer adds a request interceptor
 * that applies only to its own CA's origin: it trusts the configured CA bundle for that origin
 * alone (Pebble's certificate is self-signed; nothing else in the process is affected), and it
 * hands a 429 rate-limit answer straight back instead of letting acme-client sleep out a
 * Retry-After that can be hours long.
 */
import { Agent } from 'node:https';
import { createRequire } from 'node:module';
import acme from 'acme-client';
import type { ComponentLogger } from '../../../features/log.js';
import { pollUntilSettled, type PollSchedule, type Settled } from './acme-poll.js';
import type { HttpChallenges } from './http-challenges.js';

/** RFC 8555 section 6.7. */
export const RATE_LIMITED_PROBLEM = 'urn:ietf:params:acme:error:rateLimited';

/** Why an order failed: the manager retries each kind differently. */
export type AcmeFailureKind = 'rate-limited' | 'validation' | 'failed';

/** An order that did not end in a certificate; `message` is one line, fit for the status. */
export class AcmeIssueError extends Error {
  constructor(
    message: string,
    readonly kind: AcmeFailureKind,
    /** When the CA said to come back (Retry-After), for a rate limit. */
    readonly retryAt?: Date,
  ) {
    super(message);
    this.name = 'AcmeIssueError';
  }
}

export interface AcmeIssuerOptions {
  readonly directoryUrl: string;
  /** PEM private key of the ACME account (kept by the store). */
  readonly accountKeyPem: string;
  /** PEM CA certificates to trust for the ACME server instead of the system's (a test CA such as Pebble). */
  readonly caBundle?: string;
  /** Contact address given to the CA (expiry mail); optional. */
  readonly email?: string;
  readonly challenges: HttpChallenges;
  readonly log: ComponentLogger;
  /** Polling of pending challenges and orders: first wait, longest wait, attempts. */
  readonly poll?: PollSchedule;
  /** The clock, for the rate limit's retry time. */
  readonly now?: () => number;
  /** Longest wait for one answer from the CA (default 30 s); tests shorten it. */
  readonly requestTimeoutMs?: number;
}

const DEFAULT_POLL: PollSchedule = { minMs: 1_000, maxMs: 15_000, attempts: 12 };
/** A CA that takes the connection and never answers must fail the order, not hold it (and its retries) forever. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The parts of axios's request config and response this file touches. */
interface RequestConfig {
  url?: string;
  baseURL?: string;
  httpsAgent?: unknown;
  adapter?: unknown;
  timeout?: number;
  signal?: AbortSignal;
}
interface AdapterResponse {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}
type Adapter = (config: RequestConfig) => Promise<AdapterResponse>;

// The axios acme-client itself loads (its own dependency, so the same version and instance family).
const axiosOfAcmeClient = createRequire(createRequire(import.meta.url).resolve('acme-client'))('axios') as {
  getAdapter(name: string): Adapter;
};

/** Seconds or an HTTP date (RFC 9110 section 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: number): Date | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return new Date(now + Number(value.trim()) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : new Date(date);
}

function problemOf(data: unknown): { type?: string; detail?: string } {
  let value = data;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString());
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const { type, detail } = value as { type?: unknown; detail?: unknown };
  return { type: typeof type === 'string' ? type : undefined, detail: typeof detail === 'string' ? detail : undefined };
}

/** A request that got no answer from the CA, as one plain error (not axios's). */
function withoutAnswer(error: unknown, config: RequestConfig): Error {
  const { code, message } = error as { code?: string; message?: string };
  let origin = 'the CA';
  try {
    origin = new URL(config.url ?? '', config.baseURL).origin;
  } catch { /* keep "the CA" */ }
  if (code === 'ERR_CANCELED') return new Error('cancelled: Porthole is stopping');
  const timeout = config.timeout ?? 0;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return new Error(`no answer from ${origin} within ${timeout < 1000 ? `${timeout} ms` : `${Math.round(timeout / 1000)} s`}`);
  return new Error(`${origin}: ${oneLine(message ?? String(error))}`);
}

/** An authorization is done once valid; invalid, with the CA's reason from its HTTP-01 challenge. */
function authorizationVerdict(authz: acme.Authorization | undefined): Settled<true> {
  if (!authz) return { failed: 'the CA returned no authorization' };
  if (authz.status === 'valid') return { done: true };
  if (authz.status === 'pending') return 'pending';
  const problem = authz.challenges.find((challenge) => challenge.type === 'http-01')?.error as { detail?: string } | undefined;
  return { failed: oneLine(problem?.detail ?? `the authorization is ${authz.status}`) };
}

/** An order is done once valid (its certificate is ready); invalid or anything unexpected ends the wait. */
function orderVerdict(order: acme.Order): Settled<acme.Order> {
  if (order.status === 'valid') return { done: order };
  if (order.status === 'processing' || order.status === 'pending' || order.status === 'ready') return 'pending';
  const problem = (order as { error?: { detail?: string } }).error;
  return { failed: oneLine(problem?.detail ?? `the order is ${order.status}`) };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export class AcmeIssuer {
  private readonly client: acme.Client;
  private readonly origin: string;
  private readonly agent: Agent | undefined;
  private readonly interceptor: number;
  private accountReady: Promise<void> | undefined;
  /** The last rate-limit answer from this CA: an order that fails after it was rate-limited. */
  private lastRateLimit: { at: number; detail: string; retryAt?: Date } | undefined;
  private readonly now: () => number;
  /** Aborts the requests under way when the issuer is closed. */
  private readonly aborter = new AbortController();
  private readonly poll: PollSchedule;

  constructor(private readonly options: AcmeIssuerOptions) {
    this.now = options.now ?? Date.now;
    this.poll = options.poll ?? DEFAULT_POLL;
    this.client = new acme.Client({ directoryUrl: options.directoryUrl, accountKey: options.accountKeyPem });
    this.origin = new URL(options.directoryUrl).origin;
    this.agent = options.caBundle ? new Agent({ ca: options.caBundle, keepAlive: false }) : undefined;
    const httpAdapter = axiosOfAcmeClient.getAdapter('http');
    const rateLimitAware: Adapter = async (config) => {
      try {
        // The abort signal goes to this request only: on the config axios shares with acme-client,
        // a cancel would come back as axios's own error, which acme-client retries for a minute.
        return await httpAdapter({ ...config, signal: this.aborter.signal });
      } catch (error) {
        const response = (error as { response?: AdapterResponse }).response;
        // Without `config`, acme-client passes it on as it is: no retry loop that would outlast a
        // stop, and none of its misreading of a timeout (it reads the absent response). The
        // manager retries failed orders with its own backoff.
        if (!response) throw withoutAnswer(error, config);
        const problem = response ? problemOf(response.data) : {};
        if (!response || (response.status !== 429 && problem.type !== RATE_LIMITED_PROBLEM)) throw error;
        this.lastRateLimit = {
          at: this.now(),
          detail: oneLine(problem.detail ?? `HTTP ${response.status}`),
          retryAt: parseRetryAfter(response.headers['retry-after'], this.now()),
        };
        return response; // acme-client turns it into an error at once, without sleeping
      }
    };
    this.interceptor = acme.axios.interceptors.request.use((config) => {
      const target = config as unknown as RequestConfig;
      if (!this.isOurs(target)) return config;
      if (this.agent) target.httpsAgent = this.agent;
      target.adapter = rateLimitAware;
      target.timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      return config;
    });
  }

  private isOurs(config: RequestConfig): boolean {
    try {
      return new URL(config.url ?? '', config.baseURL).origin === this.origin;
    } catch {
      return false;
    }
  }

  private ensureAccount(): Promise<void> {
    this.accountReady ??= (async () => {
      const email = this.options.email;
      try {
        await this.client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
      } catch (error) {
        // The key already has an account (its URL is known now): acme-client then sends an update,
        // which a CA may refuse when it changes nothing (Pebble: "Use POST-as-GET … empty update",
        // every restart without an email). The account is there; orders can use it.
        if (!this.hasAccountUrl()) throw error;
      }
      this.options.log.info(`ACME account ready at ${this.options.directoryUrl}`);
    })().catch((error: unknown) => {
      this.accountReady = undefined; // try again with the next order
      throw error;
    });
    return this.accountReady;
  }

  private hasAccountUrl(): boolean {
    try {
      return this.client.getAccountUrl() !== '';
    } catch {
      return false;
    }
  }

  /** Orders a certificate for `hostname` whose key is `keyPem`; resolves to the PEM chain. */
  async issue(hostname: string, keyPem: string): Promise<string> {
    const started = this.now();
    try {
      await this.ensureAccount();
      const order = await this.client.createOrder({ identifiers: [{ type: 'dns', value: hostname }] });
      for (const authz of await this.client.getAuthorizations(order)) {
        if (authz.status === 'valid') continue; // the CA reused an earlier validation
        await this.validate(hostname, authz);
      }
      const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, keyPem);
      const finalized = await this.client.finalizeOrder(order, csr);
      const issued = await pollUntilSettled(() => this.client.getOrder(finalized), orderVerdict, this.poll, this.aborter.signal);
      return await this.client.getCertificate(issued);
    } catch (error) {
      throw this.explain(hostname, error, started);
    }
  }

  private async validate(hostname: string, authz: acme.Authorization): Promise<void> {
    const challenge = authz.challenges.find((candidate) => candidate.type === 'http-01');
    if (!challenge) {
      const offered = authz.challenges.map((candidate) => candidate.type).join(', ');
      throw new AcmeIssueError(`the CA offers no http-01 challenge for ${hostname} (only ${offered || 'none'})`, 'failed');
    }
    const keyAuthorization = await this.client.getChallengeKeyAuthorization(challenge);
    const published = this.options.challenges.publish(challenge.token, keyAuthorization);
    try {
      await this.client.completeChallenge(challenge);
      // Polled through the authorization, as RFC 8555 section 7.5.1 suggests.
      await pollUntilSettled(async () => (await this.client.getAuthorizations({ authorizations: [authz.url] } as acme.Order))[0], authorizationVerdict, this.poll, this.aborter.signal);
    } catch (error) {
      throw new AcmeIssueError(`validation of ${hostname} failed: ${oneLine((error as Error).message)}`, 'validation');
    } finally {
      published.dispose();
    }
  }

  private explain(hostname: string, error: unknown, started: number): AcmeIssueError {
    const limit = this.lastRateLimit;
    if (limit && limit.at >= started) {
      const until = limit.retryAt ? ` until ${limit.retryAt.toISOString()}` : '';
      return new AcmeIssueError(`rate limited by the CA${until}: ${limit.detail}`, 'rate-limited', limit.retryAt);
    }
    if (error instanceof AcmeIssueError) return error;
    const message = oneLine(error instanceof Error ? error.message : String(error));
    return new AcmeIssueError(`order for ${hostname} failed: ${message}`, 'failed');
  }

  /** Cancels the requests under way: an order in progress fails at its next request instead of holding a stop. */
  abort(): void {
    this.aborter.abort();
  }

  /** Stops applying this issuer's trust and adapter to acme-client's requests. */
  dispose(): void {
    this.aborter.abort();
    acme.axios.interceptors.request.eject(this.interceptor);
    this.agent?.destroy();
  }
}
