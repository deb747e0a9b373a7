/**
 * The portal's certificates for its public names: the owner's files where they cover a name,
 * otherwise certificates issued through ACME (HTTP-01), kept on disk, renewed before expiry and
 * retried with backoff after a failure. The edge asks it for TLS contexts by SNI name
 * (`CertificateSource`) and for HTTP-01 answers (`HttpChallengeResponder`).
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { ComponentLogger } from '../../../features/log.js';
import type { CertificateSource, HttpChallengeResponder } from '../certificate-source.js';
import { AcmeIssueError, AcmeIssuer } from './acme-issuer.js';
import { CertificateStore, createEcdsaKeyPem, type StoredCertificate } from './certificate-store.js';
import { isIssuableHostname, normalizeHostname } from './hostname-match.js';
import { HttpChallenges } from './http-challenges.js';
import { OwnerCertificates, type OwnerCertificateFiles } from './owner-certificates.js';
import { DEFAULT_RETRY_BACKOFF, renewalDueAt, retryDelayMs, type RetryBackoff } from './renewal-policy.js';

/** setTimeout takes at most 2^31-1 ms; longer waits are walked in steps of a day. */
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

export interface AcmeSettings {
  /** The CA's directory, e.g. Let's Encrypt's `https://acme-v02.api.letsencrypt.org/directory`. */
  readonly directoryUrl: string;
  /** PEM CA certificates to trust for the ACME server (a private or test CA); absent: the system's. */
  readonly caBundle?: string;
  /** Contact for the CA's expiry mail; optional. */
  readonly email?: string;
  /** Polling of pending challenges and orders (tests shorten it). */
  readonly poll?: { readonly minMs: number; readonly maxMs: number; readonly attempts: number };
  /** Longest wait for one answer from the CA (default 30 s). */
  readonly requestTimeoutMs?: number;
}

export interface CertificateManagerOptions {
  /** Where issued certificates and the account key live (made 0700); only made and read with `acme`. */
  readonly directory: string;
  /** Absent: only the owner's certificates are served. */
  readonly acme?: AcmeSettings;
  /** The owner's own certificates (a wildcard, say); they win over ACME for the names they cover. */
  readonly ownerCertificates?: readonly OwnerCertificateFiles[];
  /** What to present when a visitor sends no SNI or an unknown name. */
  readonly defaultHostname?: string;
  readonly log: ComponentLogger;
  /** Renew with this much validity left, instead of min(lifetime / 3, 30 days): tests force renewal with it. */
  readonly renewBeforeMs?: number;
  /** Waits between failed orders (default 5 min doubling to 6 h); a rate limit's Retry-After wins when longer. */
  readonly retry?: RetryBackoff;
  readonly now?: () => number;
}

export type CertificateState = 'pending' | 'issued' | 'failed';

/** What the portal can say about one name's certificate. */
export interface CertificateStatus {
  readonly hostname: string;
  readonly state: CertificateState;
  readonly source: 'acme' | 'owner';
  /** One line: why the last order failed (also set while an older certificate is still served). */
  readonly reason?: string;
  readonly notAfter?: Date;
  readonly serialNumber?: string;
  /** When the next order is tried after a failure. */
  readonly retryAt?: Date;
}

interface ManagedName {
  readonly hostname: string;
  certificate?: StoredCertificate;
  context?: SecureContext;
  inflight?: Promise<CertificateStatus>;
  failure?: { readonly reason: string; readonly retryAt: Date; readonly failures: number };
  timer?: NodeJS.Timeout;
}

export class CertificateManager implements CertificateSource, HttpChallengeResponder {
  private readonly names = new Map<string, ManagedName>();
  /** Certificates of forgotten names, taken back if the name returns (a changed exposure releases and claims it again). */
  private readonly forgotten = new Map<string, StoredCertificate>();
  private readonly challenges = new HttpChallenges();
  private readonly now: () => number;
  private readonly retry: RetryBackoff;
  private issuer: AcmeIssuer | undefined;
  private closed = false;

  private constructor(
    private readonly options: CertificateManagerOptions,
    private readonly store: CertificateStore | undefined,
    private readonly owner: OwnerCertificates,
  ) {
    this.now = options.now ?? Date.now;
    this.retry = options.retry ?? DEFAULT_RETRY_BACKOFF;
  }

  /**
   * Opens the store, checks the owner's files (throws one line naming a bad file) and loads what
   * was issued before; each loaded certificate is renewed when due.
   */
  static async open(options: CertificateManagerOptions): Promise<CertificateManager> {
    const owner = new OwnerCertificates(options.ownerCertificates ?? [], (options.now ?? Date.now)());
    // Nothing is issued without ACME, so no folder is made: a portal serving only the owner's
    // certificates may run where it cannot write (the default folder is relative to the working one).
    const store = options.acme ? await CertificateStore.open(options.directory) : undefined;
    const manager = new CertificateManager(options, store, owner);
    if (options.acme && store) {
      const accountKeyPem = await store.accountKey(options.acme.directoryUrl);
      manager.issuer = new AcmeIssuer({
        directoryUrl: options.acme.directoryUrl,
        accountKeyPem,
        caBundle: options.acme.caBundle,
        email: options.acme.email,
        poll: options.acme.poll,
        ...(options.acme.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.acme.requestTimeoutMs }),
        challenges: manager.challenges,
        log: options.log,
        now: manager.now,
      });
    }
    const loaded = store ? await store.loadAll() : { certificates: [], problems: [] };
    for (const problem of loaded.problems) options.log.warning(`certificate store: ${problem}`);
    for (const certificate of loaded.certificates) {
      const entry = manager.entry(certificate.hostname);
      manager.install(entry, certificate);
      manager.scheduleRenewal(entry, 0);
    }
    if (loaded.certificates.length > 0) options.log.info(`loaded ${loaded.certificates.length} certificate(s) from ${options.directory}`);
    return manager;
  }

  private entry(hostname: string): ManagedName {
    let entry = this.names.get(hostname);
    if (!entry) {
      entry = { hostname };
      this.names.set(hostname, entry);
      const kept = this.forgotten.get(hostname);
      if (kept) {
        // Served again at once and renewed when due, rather than ordered anew (CAs limit duplicates: Let's Encrypt 5 a week).
        this.forgotten.delete(hostname);
        this.install(entry, kept);
        this.scheduleRenewal(entry, 0);
      }
    }
    return entry;
  }

  private install(entry: ManagedName, certificate: StoredCertificate): void {
    entry.certificate = certificate;
    entry.context = createSecureContext({ cert: certificate.certPem, key: certificate.keyPem });
  }

  /**
   * Makes sure `hostname` has a certificate: the owner's, a stored one not yet due for renewal,
   * or a new order. Concurrent calls for one name share one order. Resolves to the status (a
   * failed order is a status with a reason, not a rejection); while a failure's retry time has
   * not come, no new order is made.
   */
  async ensure(hostname: string): Promise<CertificateStatus> {
    const name = normalizeHostname(hostname);
    if (this.owner.find(name)) return this.status(name)!;
    if (!isIssuableHostname(name)) return { hostname: name, state: 'failed', source: 'acme', reason: `"${hostname}" is not a host name a certificate can be issued for` };
    const entry = this.entry(name);
    if (entry.inflight) return entry.inflight;
    const certificate = entry.certificate;
    const now = this.now();
    if (certificate && renewalDueAt(certificate.notBefore, certificate.notAfter, this.options.renewBeforeMs) > now) return this.statusOf(entry);
    if (entry.failure && entry.failure.retryAt.getTime() > now) return this.statusOf(entry);
    if (!this.issuer || !this.store || this.closed) {
      const why = this.closed ? 'the certificate manager is closed' : 'no ACME directory is configured and no owner certificate covers it';
      return certificate ? this.statusOf(entry) : { hostname: name, state: 'failed', source: 'acme', reason: why };
    }
    const order = this.order(entry, this.issuer, this.store)
      .finally(() => {
        entry.inflight = undefined;
      })
      .then(() => this.statusOf(entry));
    entry.inflight = order;
    return order;
  }

  /** Orders, stores and installs; a failure is recorded on the entry with its retry time, never thrown. */
  private async order(entry: ManagedName, issuer: AcmeIssuer, store: CertificateStore): Promise<void> {
    const renewing = entry.certificate !== undefined;
    this.options.log.info(`${renewing ? 'renewing' : 'ordering'} a certificate for ${entry.hostname}`);
    try {
      const keyPem = createEcdsaKeyPem(); // a new key for every certificate
      const chainPem = await issuer.issue(entry.hostname, keyPem);
      const certificate = await store.save(entry.hostname, chainPem, keyPem);
      this.install(entry, certificate);
      entry.failure = undefined;
      this.options.log.info(`certificate for ${entry.hostname} issued (serial ${certificate.serialNumber}), valid until ${certificate.notAfter.toISOString()}`);
      // Not sooner than one retry step, so a threshold longer than the lifetime cannot loop.
      this.scheduleRenewal(entry, this.retry.minMs);
    } catch (error) {
      const failures = (entry.failure?.failures ?? 0) + 1;
      const backoffAt = this.now() + retryDelayMs(failures, this.retry);
      const hinted = error instanceof AcmeIssueError ? error.retryAt?.getTime() : undefined;
      const retryAt = new Date(Math.max(backoffAt, hinted ?? 0));
      const reason = error instanceof AcmeIssueError ? error.message : `certificate for ${entry.hostname}: ${(error as Error).message}`;
      entry.failure = { reason, retryAt, failures };
      // Cancelled by close(): nothing went wrong at the CA.
      if (this.closed) return;
      this.options.log.warning(`${reason} (next try at ${retryAt.toISOString()})`);
      this.schedule(entry, retryAt.getTime(), 0);
    }
  }

  private scheduleRenewal(entry: ManagedName, floorMs: number): void {
    const certificate = entry.certificate;
    if (!certificate) return;
    this.schedule(entry, renewalDueAt(certificate.notBefore, certificate.notAfter, this.options.renewBeforeMs), floorMs);
  }

  /** One timer per name: wakes at `at` (not before `floorMs` from now) and calls `ensure`. */
  private schedule(entry: ManagedName, at: number, floorMs: number): void {
    if (this.closed) return;
    clearTimeout(entry.timer);
    const wait = Math.max(at - this.now(), floorMs, 0);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      // A timer counts from the event loop's cached time, so it can fire before `at` by this clock;
      // ensure() would then find the retry not due and nothing would wake it again.
      if (this.now() < at) this.schedule(entry, at, 0);
      else void this.ensure(entry.hostname);
    }, Math.min(wait, MAX_TIMER_MS));
    entry.timer.unref();
  }

  /** What is known of `hostname`'s certificate; undefined when nothing was asked for or stored. */
  status(hostname: string): CertificateStatus | undefined {
    const name = normalizeHostname(hostname);
    const owned = this.owner.find(name);
    if (owned) return { hostname: name, state: 'issued', source: 'owner', notAfter: owned.certificate.notAfter, serialNumber: owned.certificate.serialNumber };
    const entry = this.names.get(name);
    return entry ? this.statusOf(entry) : undefined;
  }

  private statusOf(entry: ManagedName): CertificateStatus {
    const { certificate, failure } = entry;
    const state: CertificateState = certificate ? 'issued' : entry.inflight || !failure ? 'pending' : 'failed';
    return {
      hostname: entry.hostname,
      state,
      source: 'acme',
      ...(failure ? { reason: certificate ? `renewal failed: ${failure.reason}` : failure.reason, retryAt: failure.retryAt } : {}),
      ...(certificate ? { notAfter: certificate.notAfter, serialNumber: certificate.serialNumber } : {}),
    };
  }

  /** Stops renewing and serving `hostname` (its label went away); its files stay on disk, and its certificate is taken back if the name returns. */
  forget(hostname: string): void {
    const entry = this.names.get(normalizeHostname(hostname));
    if (!entry) return;
    clearTimeout(entry.timer);
    this.names.delete(entry.hostname);
    if (entry.certificate) this.forgotten.set(entry.hostname, entry.certificate);
  }

  contextFor(servername: string): SecureContext | undefined {
    const name = normalizeHostname(servername);
    return this.owner.find(name)?.context ?? this.names.get(name)?.context;
  }

  defaultContext(): SecureContext | undefined {
    return this.options.defaultHostname === undefined ? undefined : this.contextFor(this.options.defaultHostname);
  }

  keyAuthorization(token: string): string | undefined {
    return this.challenges.keyAuthorization(token);
  }

  /** Stops the timers, cancels the CA requests of orders under way (they end at once), and releases the CA connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.names.values()) clearTimeout(entry.timer);
    this.issuer?.abort();
    await Promise.allSettled([...this.names.values()].map((entry) => entry.inflight));
    this.issuer?.dispose();
  }
}
