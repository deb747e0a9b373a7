/**
 * What this machine remembers about servers it set up: the pinned host key of each `host:port`
 * (accepted once by the user, kept even after "Remove from server") and the servers set up, for
 * "Remove from server" and the list. One JSON file, `known-servers.json` in Porthole's folder,
 * mode 0600; in memory when there is no folder (tests).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RemoteServer } from '../api/index.js';
import type { HostKeyFingerprint } from './host-key.js';

export const KNOWN_SERVERS_FILE = 'known-servers.json';

export interface PinnedHostKey extends HostKeyFingerprint {
  pinnedAt: number;
}

/** What a setup changed on the server besides its own files, so removal can undo it. */
export interface ServerRecord extends RemoteServer {
  firewall?: { tool: 'ufw' | 'firewalld'; sudo: boolean; rules: string[] };
  /** sha256 of the bridge profile text the setup saved here: removal deletes it only if unchanged. */
  profileDigest?: string;
}

interface KnownServersData {
  hostKeys: Record<string, PinnedHostKey>;
  servers: ServerRecord[];
}

export const serverKey = (host: string, port: number) => `${host.toLowerCase()}:${port}`;

export class KnownServers {
  private data: KnownServersData | undefined;
  private writing = Promise.resolve();

  constructor(private readonly folder: string | undefined) {}

  private get file(): string | undefined {
    return this.folder ? join(this.folder, KNOWN_SERVERS_FILE) : undefined;
  }

  private async load(): Promise<KnownServersData> {
    if (this.data) return this.data;
    const empty: KnownServersData = { hostKeys: {}, servers: [] };
    if (!this.file) return (this.data = empty);
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<KnownServersData>;
      this.data = {
        hostKeys: parsed.hostKeys && typeof parsed.hostKeys === 'object' ? parsed.hostKeys : {},
        servers: Array.isArray(parsed.servers) ? parsed.servers : [],
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${this.file}: cannot be read (${(error as Error).message})`, { cause: error });
      this.data = empty;
    }
    return this.data;
  }

  private save(): Promise<void> {
    const file = this.file;
    const folder = this.folder;
    if (!file || !folder || !this.data) return Promise.resolve();
    const text = `${JSON.stringify(this.data, null, 2)}\n`;
    // Writes one after another, each whole (temp file + rename), so a crash never leaves half a file.
    this.writing = this.writing.catch(() => {}).then(async () => {
      await mkdir(folder, { recursive: true });
      const temp = `${file}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, file);
    });
    return this.writing;
  }

  async pinned(host: string, port: number): Promise<PinnedHostKey | undefined> {
    return (await this.load()).hostKeys[serverKey(host, port)];
  }

  async pin(host: string, port: number, key: HostKeyFingerprint): Promise<void> {
    const data = await this.load();
    data.hostKeys[serverKey(host, port)] = { algorithm: key.algorithm, fingerprint: key.fingerprint, pinnedAt: Date.now() };
    await this.save();
  }

  async servers(): Promise<ServerRecord[]> {
    return structuredClone((await this.load()).servers);
  }

  async server(host: string, port: number, user: string): Promise<ServerRecord | undefined> {
    return (await this.servers()).find((server) => serverKey(server.host, server.port) === serverKey(host, port) && server.user === user);
  }

  async remember(server: ServerRecord): Promise<void> {
    const data = await this.load();
    data.servers = [...data.servers.filter((known) => !(serverKey(known.host, known.port) === serverKey(server.host, server.port) && known.user === server.user)), structuredClone(server)];
    await this.save();
  }

  /** Forgets the server set up there (the pinned host key stays). */
  async forget(host: string, port: number, user: string): Promise<void> {
    const data = await this.load();
    data.servers = data.servers.filter((known) => !(serverKey(known.host, known.port) === serverKey(host, port) && known.user === user));
    await this.save();
  }
}
