/**
 * An inbound's certificate through ACME (`tlsSettings.acme`, Porthole only): the certificate
 * manager the edge uses, for the one name `serverName`, answering the CA's HTTP-01 challenges on
 * `acme.httpPort` (a listener shared with the engine's other such inbounds and its edge,
 * `challenge-ports.ts`). Opened by the first of the inbound's listeners and closed with the last;
 * the order runs in the background, so the link port listens at once and links succeed from the
 * moment the certificate is issued. The manager keeps it on disk, renews it before expiry and
 * retries a failed order with backoff.
 */
import type { SecureContext } from 'node:tls';
import { formatErrorLine, PortholeError } from '../../common/errors.js';
import type { LinkAcmeConfig } from '../../config/index.js';
import type { ComponentLogger } from '../../features/log.js';
import type { LiveCertificateStatus, LiveServerCertificate } from '../../transport/internet/tls.js';
import { acmeSettingsOf } from '../edge/certificates/acme-settings.js';
import { CertificateManager, type CertificateStatus } from '../edge/certificates/certificate-manager.js';
import type { ChallengePorts } from './challenge-ports.js';

export interface AcmeLinkCertificateOptions {
  /** The inbound's tag, for messages. */
  readonly tag: string;
  /** `tlsSettings.serverName`: the name the certificate is for. */
  readonly serverName: string;
  /** The inbound's `listen` (Node form): the challenge listener binds there too. */
  readonly host: string;
  readonly acme: LinkAcmeConfig;
  /** The engine's shared HTTP-01 listeners. */
  readonly challengePorts: ChallengePorts;
  readonly log: ComponentLogger;
}

export class AcmeLinkCertificate implements LiveServerCertificate {
  private users = 0;
  private opening: Promise<void> | undefined;
  private manager: CertificateManager | undefined;
  private stopAnswering: (() => Promise<void>) | undefined;
  /** The first order's outcome, kept for after close (the manager's status is the live one). */
  private firstOrder: CertificateStatus | undefined;

  constructor(private readonly options: AcmeLinkCertificateOptions) {}

  async open(): Promise<void> {
    this.users += 1;
    this.opening ??= this.start();
    try {
      await this.opening;
    } catch (error) {
      this.users -= 1;
      this.opening = undefined;
      throw error;
    }
  }

  context(): SecureContext | undefined {
    return this.manager?.contextFor(this.options.serverName);
  }

  missing(): string {
    const { name, authority, state, reason, retryAt } = this.describe();
    if (state === 'failed') return `the certificate for ${name} failed: ${reason ?? 'no reason given'}${retryAt ? ` (next try at ${retryAt.toISOString()})` : ''}`;
    return `the certificate for ${name} is being ordered from ${authority}`;
  }

  describe(): LiveCertificateStatus {
    const { serverName, acme } = this.options;
    const known = this.manager?.status(serverName) ?? this.firstOrder;
    return {
      name: serverName,
      authority: new URL(acme.directory).host,
      state: known?.state ?? 'pending',
      ...(known?.notAfter ? { notAfter: known.notAfter } : {}),
      ...(known?.reason ? { reason: known.reason } : {}),
      ...(known?.retryAt ? { retryAt: known.retryAt } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.users === 0) return;
    this.users -= 1;
    if (this.users > 0) return;
    const opened = this.opening;
    this.opening = undefined;
    await opened?.catch(() => {});
    const { stopAnswering, manager } = this;
    this.stopAnswering = undefined;
    this.manager = undefined;
    await stopAnswering?.();
    await manager?.close();
  }

  private async start(): Promise<void> {
    const { acme, log, serverName, tag } = this.options;
    const where = `inbound "${tag}": tlsSettings.acme`;
    const manager = await CertificateManager.open({ directory: acme.storage, acme: await acmeSettingsOf(acme, where), defaultHostname: serverName, log });
    try {
      this.stopAnswering = await this.options.challengePorts.answer(this.options.host, acme.httpPort, manager);
    } catch (error) {
      await manager.close();
      const code = (((error as { cause?: unknown }).cause ?? error) as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? `it is taken (another server on port ${acme.httpPort}? Porthole must answer the CA there)`
        : code === 'EACCES' ? 'no permission (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : formatErrorLine(error);
      throw new PortholeError('PH_CONFIG_VALUE', `${where}: cannot listen on port ${acme.httpPort} for the CA's HTTP-01 challenge: ${why}`, { cause: error });
    }
    this.manager = manager;
    log.info(`${where}: HTTP-01 challenges answered on port ${acme.httpPort}; certificate for ${serverName} from ${new URL(acme.directory).host}`);
    // In the background: the manager logs the order and its outcome, and retries on its own.
    void manager.ensure(serverName).then((status) => {
      this.firstOrder = status;
    });
  }
}
