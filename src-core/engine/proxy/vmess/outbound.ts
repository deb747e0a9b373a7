/**
 * VMess client (V2Ray's `proxy/vmess/outbound`): dials the first server of `vnext` (then the next
 * on failure), sends the AEAD request header with the first payload, and carries the body both
 * ways. A bridge's links to its portal leave through here.
 */
import { PortholeError, formatErrorLine } from '../../common/errors.js';
import { formatDestination, type Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import { errorKindOf, type ComponentLogger } from '../../features/log.js';
import type { OutboundHandler } from '../../features/outbound.js';
import type { PolicyManager } from '../../features/policy.js';
import type { Link } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import type { StreamSettings } from '../../config/types.js';
import { dial, prepareDialer, type Connection } from '../../transport/internet/index.js';
import { createVmessUser, type VmessUser } from './account.js';
import { VmessBodyStream, type BodyCodec } from './body-stream.js';
import { createClientRequest, type ClientResponseParser } from './client-handshake.js';
import { COMMAND, SECURITY, type BodySecurity } from './consts.js';
import { WIDE_CHUNK_WIRE_BYTES, type BodyDecoder, type BodyEncoder } from './body.js';

export type VmessSecurityName = 'aes-128-gcm' | 'chacha20-poly1305' | 'none';

export interface VmessServerSpec {
  address: string;
  port: number;
  users: ReadonlyArray<{ id: string; alterId: number; security: VmessSecurityName; level: number }>;
}

export interface VmessOutboundSettings {
  servers: readonly VmessServerSpec[];
  dialTimeoutMs?: number;
  /** How the connections to the servers are carried (`streamSettings`); plain TCP when omitted. */
  stream?: StreamSettings;
}

/**
 * How long the request header waits for a first payload to share a packet with. 4.34 waits
 * 100 ms; a bridge link has no payload at all (the portal speaks first), so it pays that as
 * link setup time.
 */
export const REQUEST_FLUSH_WAIT_MS = 10;

const SECURITY_IDS: Record<VmessSecurityName, BodySecurity> = {
  'aes-128-gcm': SECURITY.aes128Gcm,
  'chacha20-poly1305': SECURITY.chacha20Poly1305,
  none: SECURITY.none,
};

interface PreparedServer {
  address: string;
  port: number;
  users: Array<{ user: VmessUser<null>; security: BodySecurity; level: number }>;
}

export class VmessOutbound implements OutboundHandler {
  private readonly servers: PreparedServer[];
  private nextServer = 0;

  constructor(
    readonly tag: string,
    private readonly settings: VmessOutboundSettings,
    private readonly policies: PolicyManager,
    private readonly log: ComponentLogger,
  ) {
    // A certificate file that cannot be read fails here, at start, with its config place.
    prepareDialer(settings.stream);
    this.servers = settings.servers.map((server) => ({
      address: server.address,
      port: server.port,
      users: server.users.map((user) => ({
        user: createVmessUser(user.id, { alterId: user.alterId, tag: null }),
        security: SECURITY_IDS[user.security],
        level: user.level,
      })),
    }));
  }

  process(session: Session, target: Destination, link: Link): void {
    void this.connect(session, target, link);
  }

  private async connect(session: Session, target: Destination, link: Link): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.servers.length; attempt += 1) {
      const server = this.servers[(this.nextServer + attempt) % this.servers.length]!;
      try {
        const socket = await dial(server.address, server.port, this.settings.stream, this.settings.dialTimeoutMs);
        if (link.destroyed) {
          socket.destroy();
          return;
        }
        this.nextServer = (this.nextServer + attempt) % this.servers.length;
        this.carry(session, target, link, socket, server);
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const error = new PortholeError('PH_DIAL_FAILED', `vmess: failed to reach a server for ${formatDestination(target)}`, { cause: lastError, connectionId: session.id });
    // A server that is down fails every dial (a bridge redials it): summarised per outbound and cause.
    this.log.summarised('warning', `unreachable ${this.tag} ${errorKindOf(lastError)}`, formatErrorLine(error), session.id);
    link.destroy(lastError instanceof PortholeError ? lastError : error);
  }

  private carry(session: Session, target: Destination, link: Link, socket: Connection, server: PreparedServer): void {
    const account = server.users[Math.floor(Math.random() * server.users.length)]!;
    const request = createClientRequest({
      user: account.user,
      security: account.security,
      command: target.network === 'udp' ? COMMAND.udp : COMMAND.tcp,
      address: target.address,
      port: target.port,
    });
    const encoder = request.session.createRequestBodyEncoder();
    // Any 4.34 server reads chunks this large (see BodyEncoder.widenChunks); UDP stays one datagram per chunk.
    encoder.widenChunks(WIDE_CHUNK_WIRE_BYTES);
    const body = new VmessBodyStream(socket, new ClientBodyCodec(encoder, request.session.createResponseParser()), {
      highWaterMark: this.policies.forLevel(account.level).bufferBytes,
      prefix: { bytes: request.headerBytes, flushAfterMs: REQUEST_FLUSH_WAIT_MS },
      packet: target.network === 'udp',
      onDroppedDatagram: (error) => this.log.warning(`dropped a datagram: ${formatErrorLine(error)}`, session.id),
    });
    body.on('error', (error) => this.log.info(`connection to ${server.address}:${server.port} ended: ${formatErrorLine(error)}`, session.id));
    void pumpBoth(body, link);
  }

  async close(): Promise<void> {}
}

/**
 * The client side's body codec: the request body out, the response header and body in. A class,
 * so that every connection's codec shares the same methods (see chunk-cipher.ts on closures per connection).
 */
class ClientBodyCodec implements BodyCodec {
  private decoder: BodyDecoder | undefined;

  constructor(private readonly encoder: BodyEncoder, private readonly responseParser: ClientResponseParser) {}

  decode(chunk: Buffer): Buffer[] {
    if (this.decoder) return this.decoder.push(chunk);
    const result = this.responseParser.push(chunk);
    if (result.status === 'need-more') return [];
    if (result.status === 'fail') throw result.error;
    this.decoder = result.decoder;
    return result.rest.length > 0 ? this.decoder.push(result.rest) : [];
  }

  decodedEnd(): boolean {
    return this.decoder?.ended ?? false;
  }

  encode(plain: Buffer | readonly Buffer[]): Buffer {
    return this.encoder.encode(plain);
  }

  encodeEnd(): Buffer {
    return this.encoder.end();
  }
}
