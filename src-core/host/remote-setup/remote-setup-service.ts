/**
 * Set up my server: the service side of the `*RemoteSetup` methods (api/remote-setup.ts).
 * SKELETON: the contract is fixed; the runner (SSH, steps, pinning) is being built.
 */
import type { EngineStatus, ExposureStatus, ProfileSummary, RemoteServer, RemoteServerTarget, RemoteSetup, RemoteSetupRequest } from '../api/index.js';
import { ServiceError } from '../api/index.js';

/** What the runner needs from the engine service on this machine. */
export interface RemoteSetupHost {
  /** Porthole's folder (pinned host keys, servers set up); undefined: kept in memory only (tests). */
  folder: string | undefined;
  saveProfile(name: string, text: string): Promise<ProfileSummary>;
  activateProfile(name: string): Promise<EngineStatus>;
  listExposures(): Promise<ExposureStatus[]>;
  note(level: 'info' | 'warning' | 'error', line: string): void;
}

export class RemoteSetupService {
  private readonly listeners = new Set<(run: RemoteSetup) => void>();

  constructor(private readonly host: RemoteSetupHost) {}

  start(request: RemoteSetupRequest): Promise<RemoteSetup> {
    void request;
    return Promise.reject(new ServiceError('PH_REMOTE_SETUP', 'Set up my server is not built yet'));
  }

  acceptHostKey(runId: string, fingerprint: string): Promise<RemoteSetup> {
    void fingerprint;
    return Promise.reject(new ServiceError('PH_REMOTE_SETUP', `no run ${runId}`));
  }

  retry(runId: string, options: { passphrase?: string }): Promise<RemoteSetup> {
    void options;
    return Promise.reject(new ServiceError('PH_REMOTE_SETUP', `no run ${runId}`));
  }

  cancel(runId: string): Promise<RemoteSetup> {
    return Promise.reject(new ServiceError('PH_REMOTE_SETUP', `no run ${runId}`));
  }

  remove(target: RemoteServerTarget): Promise<RemoteSetup> {
    void target;
    return Promise.reject(new ServiceError('PH_REMOTE_SETUP', 'Set up my server is not built yet'));
  }

  async current(): Promise<RemoteSetup | null> {
    return null;
  }

  async servers(): Promise<RemoteServer[]> {
    void this.host;
    return [];
  }

  onDidChange(listener: (run: RemoteSetup) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  close(): void {
    this.listeners.clear();
  }
}
