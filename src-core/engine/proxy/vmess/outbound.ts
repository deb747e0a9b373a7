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
import { opensTlsRecord } from '../../transport/internet/tls-record.js';
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

/** How much of a response that is not VMess is kept to name what it is (an HTTP status line). */
const FIRST_BYTES_KEPT = 64;

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
    const peer = `${server.address}:${server.port}`;
    const codec = new ClientBodyCodec(encoder, request.session.createResponseParser(), peer);
    // A server that ends the connection before its response header is most often misconfigured: a
    // 4.34 VMess server drains a wrong user's request and closes, a TLS server closes on bytes that
    // are not TLS. (A 4.34 server also closes unanswered when its target ends before a first byte.)
    // Registered before the body's own listeners, so that the body ends with this reason (and a cut
    // stream, not a clean end, reaches the link) rather than with a bare EOF.
    let unanswered: PortholeError | undefined;
    const closedUnanswered = (cause?: Error) => {
      if (codec.answered || body.destroyed) return;
      const why = 'wrong user id, or does it expect TLS or WebSocket? or its target closed at once';
      unanswered = new PortholeError('PH_CONNECTION_RESET', `vmess: the server ${peer} closed the connection before answering (${why})`, { ...(cause ? { cause } : {}), connectionId: session.id });
      body.destroy(unanswered);
    };
    socket.prependOnceListener('end', () => closedUnanswered());
    socket.prependOnceListener('error', (error: Error) => closedUnanswered(error));
    const body = new VmessBodyStream(socket, codec, {
      highWaterMark: this.policies.forLevel(account.level).bufferBytes,
      prefix: { bytes: request.headerBytes, flushAfterMs: REQUEST_FLUSH_WAIT_MS },
      packet: target.network === 'udp',
      onDroppedDatagram: (error) => this.log.warning(`dropped a datagram: ${formatErrorLine(error)}`, session.id),
    });
    body.on('error', (error) => {
      // A misconfigured link fails every redial the same way: one summarised warning per server.
      if (error === unanswered || (error instanceof PortholeError && error.code === 'PH_VMESS_BAD_HEADER' && codec.answeredOtherProtocol)) {
        this.log.summarised('warning', `unanswered ${this.tag} ${peer}`, formatErrorLine(error), session.id);
      } else {
        this.log.info(`connection to ${peer} ended: ${formatErrorLine(error)}`, session.id);
      }
    });
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
  /** The first bytes of the answer, kept until the header parses: they tell HTTP and TLS apart. */
  private firstBytes: Buffer | undefined;
  /** The answer was not VMess but HTTP or TLS (a WebSocket or TLS server). */
  answeredOtherProtocol = false;

  constructor(private readonly encoder: BodyEncoder, private readonly responseParser: ClientResponseParser, private readonly peer: string) {}

  /** Whether the response header arrived. */
  get answered(): boolean {
    return this.decoder !== undefined;
  }

  decode(chunk: Buffer): Buffer[] {
    if (this.decoder) return this.decoder.push(chunk);
    if (!this.firstBytes || this.firstBytes.length < FIRST_BYTES_KEPT) {
      this.firstBytes = Buffer.concat([this.firstBytes ?? Buffer.alloc(0), chunk.subarray(0, FIRST_BYTES_KEPT)]).subarray(0, FIRST_BYTES_KEPT);
    }
    const result = this.responseParser.push(chunk);
    if (result.status === 'need-more') return [];
    if (result.status === 'fail') throw this.explain(result.error);
    this.decoder = result.decoder;
    this.firstBytes = undefined;
    return result.rest.length > 0 ? this.decoder.push(result.rest) : [];
  }

  /** A response header that does not decrypt, explained when the server spoke another protocol. */
  private explain(error: PortholeError): PortholeError {
    const first = this.firstBytes ?? Buffer.alloc(0);
    let why: string | undefined;
    if (first.subarray(0, 5).toString('latin1') === 'HTTP/') {
      const statusLine = first.toString('latin1').split('\r\n')[0] ?? '';
      why = `answered with HTTP ("${statusLine}"), not VMess: does it expect WebSocket ("network": "ws"), or TLS?`;
    } else if (opensTlsRecord(first)) {
      why = 'answered with TLS, not VMess: set "security": "tls"';
    }
    if (why === undefined) return error;
    this.answeredOtherProtocol = true;
    return new PortholeError('PH_VMESS_BAD_HEADER', `vmess: the server ${this.peer} ${why}`, { cause: error });
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
