/**
 * A portal's public edge, as `exposures.names` configures it: the name table the exposure host
 * fills, the certificates (the owner's files, else ACME, one per name), and the shared HTTP and
 * HTTPS listeners that route each request by name. Started with the portal, closed with it.
 */
import { formatErrorLine, PortholeError } from '../../common/errors.js';
import { DEFAULT_ACME_STORAGE, type PortalNamesConfig } from '../../config/index.js';
import type { ComponentLogger } from '../../features/log.js';
import { acmeSettingsOf } from '../edge/certificates/acme-settings.js';
import { CertificateManager } from '../edge/certificates/certificate-manager.js';
import type { ChallengePorts } from '../link-certificates/challenge-ports.js';
import { nodeListenHost } from '../../transport/tcp.js';
import { EdgeServer } from '../edge/edge-server.js';
import { ExposureNames } from './exposure-names.js';

export interface PortalEdgeOptions {
  readonly names: PortalNamesConfig;
  /** `exposures.listen`: the address the HTTP and HTTPS listeners bind to. */
  readonly listen: string;
  readonly portalTag: string;
  readonly log: ComponentLogger;
  /** How long before expiry certificates are renewed; default the manager's (tests force renewal with it). */
  readonly renewBeforeMs?: number;
  /** The engine's HTTP-01 ports: link inbounds' challenges on the edge's HTTP port are answered here. */
  readonly challengePorts?: ChallengePorts;
}

export class PortalEdge {
  readonly table: ExposureNames;
  private certificates: CertificateManager | undefined;
  private server: EdgeServer | undefined;
  private closed = false;
  private readonly linkChallenges: ReturnType<ChallengePorts['serveWith']> | undefined;

  constructor(private readonly options: PortalEdgeOptions) {
    const { names } = options;
    this.linkChallenges = options.challengePorts?.serveWith(nodeListenHost(options.listen), names.httpPort);
    const https = names.httpsPort !== undefined;
    this.table = new ExposureNames(names, { https, port: names.httpsPort ?? names.httpPort }, (claimed) => this.claimed(claimed), (released) => this.released(released));
  }

  /** Opens the certificate store and listens; a port that cannot be had is an error naming it. */
  async start(): Promise<void> {
    const { names, listen, log } = this.options;
    const host = nodeListenHost(listen);
    if (names.acme || names.certificates.length > 0) {
      this.certificates = await CertificateManager.open({
        directory: names.acme?.storage ?? DEFAULT_ACME_STORAGE,
        ...(names.acme ? { acme: await acmeSettingsOf(names.acme, `portal "${this.options.portalTag}": exposures.names.acme`) } : {}),
        ownerCertificates: names.certificates.map((files) => ({ certFile: files.certificateFile, keyFile: files.keyFile })),
        ...(this.options.renewBeforeMs === undefined ? {} : { renewBeforeMs: this.options.renewBeforeMs }),
        log,
      });
    }
    const server = new EdgeServer({
      http: { host, port: names.httpPort },
      ...(names.httpsPort === undefined ? {} : { https: { host, port: names.httpsPort } }),
      routes: this.table,
      ...(this.certificates ? { certificates: this.certificates } : {}),
      // Its own names' challenges, then those of link inbounds that get certificates on this port.
      challenges: { keyAuthorization: (token) => this.certificates?.keyAuthorization(token) ?? this.linkChallenges?.responder.keyAuthorization(token) },
      log,
    });
    try {
      await server.start();
    } catch (error) {
      await this.certificates?.close();
      throw new PortholeError('PH_CONFIG_VALUE', `portal "${this.options.portalTag}": the edge for *.${names.domain} cannot listen (HTTP ${names.httpPort}${names.httpsPort === undefined ? '' : `, HTTPS ${names.httpsPort}`}): ${formatErrorLine(error)}`, { cause: error });
    }
    this.server = server;
    log.info(`names *.${names.domain} served on ${host} (HTTP ${server.httpPort ?? names.httpPort}${names.httpsPort === undefined ? '' : `, HTTPS ${server.httpsPort ?? names.httpsPort}`})`);
  }

  get httpPort(): number | undefined {
    return this.server?.httpPort;
  }

  get httpsPort(): number | undefined {
    return this.server?.httpsPort;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.linkChallenges?.release();
    await this.server?.close();
    await this.certificates?.close();
  }

  /** New names: order their certificates (ACME); a wildcard of the owner's covers labels at once. */
  private claimed(names: readonly string[]): void {
    const certificates = this.certificates;
    if (!certificates || this.closed || !this.options.names.acme) return;
    for (const name of names) {
      void certificates.ensure(name).then((status) => {
        if (status.state === 'failed') this.options.log.warning(`no certificate for ${name} yet: ${status.reason ?? 'unknown reason'}`);
      });
    }
  }

  private released(names: readonly string[]): void {
    for (const name of names) this.certificates?.forget(name);
  }
}
