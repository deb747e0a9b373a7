/**
 * "Set up my server" (issue 7/7): over SSH, from an empty server account to a running one-file
 * portal and an active bridge profile that dials it. The service runs the steps in order and
 * reports each as it goes (`onDidChangeRemoteSetup`); a failed step says why and can be retried
 * from where it stopped. Passwords are never taken: the running ssh-agent or a key file (its
 * passphrase, if any, lives in memory for the run only).
 */

/** Where to log in. */
export interface RemoteServerTarget {
  /** The server's DNS name or IP address (no port, no user). */
  host: string;
  /** SSH port; default 22. */
  port?: number;
  /** The account to log in as (need not be root: see `RemoteSetupStep` "install-service"). */
  user: string;
  /** The running ssh-agent (`SSH_AUTH_SOCK`), or a private key file on this machine. */
  auth: { kind: 'agent' } | { kind: 'key'; keyFile: string; passphrase?: string };
}

/** How bridges reach the portal: VMess over plain TCP, or over TLS / WebSocket + TLS (needs `domain`). */
export type RemoteSetupTransport = 'tcp' | 'tls' | 'ws-tls';

export interface RemoteSetupRequest extends RemoteServerTarget {
  /** Default: 'tcp' without a domain, 'tls' with one. */
  transport?: RemoteSetupTransport;
  /** The server's DNS name: TLS's server name, and the domain exposures get names under. */
  domain?: string;
  /** TLS: certificate and key files already on the server (e.g. certbot's); omitted: the portal gets one by ACME for `domain`. */
  certificateFile?: string;
  keyFile?: string;
  /**
   * TLS without files: how the portal gets its certificate. Let's Encrypt by default, validated
   * over HTTP-01 on the server's port 80 (which the setup checks is free and opens).
   */
  acme?: RemoteSetupAcme;
  /** The port bridges dial; default 443 with TLS, else 10086. */
  linkPort?: number;
  /** Public ports the portal may open for exposures, `first-last`; default 20000-20099. */
  exposureRange?: string;
  /** The bridge profile to write and activate; default `server <host>`. */
  profileName?: string;
}

export interface RemoteSetupAcme {
  /** For the CA's expiry notices (optional). */
  email?: string;
  /** Another ACME CA (Let's Encrypt's staging one, a private CA such as step-ca); an https:// URL. */
  directory?: string;
  /** On the server: the root that signs that CA's own HTTPS, when no public CA does. */
  caFile?: string;
  /** Where the CA reaches the portal for HTTP-01; default 80 (another port only behind a forward from 80). */
  httpPort?: number;
}

export type RemoteSetupStepId =
  | 'connect'          // TCP + SSH handshake and login
  | 'host-key'         // the server's host key: pinned, or shown for the user to accept
  | 'check-system'     // OS, architecture, systemd, free ports
  | 'upload'           // the one-file portal for that architecture (skipped when the same file is there)
  | 'write-config'     // portal config with a fresh user id
  | 'install-service'  // systemd unit (system-wide with root or sudo -n; else the user's own, with linger)
  | 'firewall'         // ufw/firewalld when present, else what to open
  | 'start'            // service started and answering on the link port
  | 'activate-bridge'  // bridge profile saved and activated here, link up
  // removal
  | 'stop-service'
  | 'remove-files';

export type RemoteStepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'waiting';

export interface RemoteSetupStep {
  id: RemoteSetupStepId;
  /** What the step does, for the list ("Upload the portal"). */
  title: string;
  state: RemoteStepState;
  /** What it found or did ("Debian 12, x86_64", "108 MiB in 4.1 s", "ufw: allowed 443/tcp"). */
  detail?: string;
  /** Failed: why, in one line, with what to do. Also set for "waiting" (what is awaited). */
  reason?: string;
  /** Commands the user may run by hand (e.g. the firewall rules when none could be applied). */
  manual?: string[];
}

/** The host key as the server presented it. */
export interface RemoteHostKey {
  /** e.g. 'ssh-ed25519'. */
  algorithm: string;
  /** OpenSSH's form: `SHA256:` + unpadded base64 of the key's SHA-256. */
  fingerprint: string;
  /** Pinned before this run (accepted once, kept in Porthole's folder). */
  known: boolean;
  /** A different key was pinned for this host: refused, never accepted silently. */
  pinnedFingerprint?: string;
}

export interface RemoteSetup {
  /** This run (unique while the service lives). */
  id: string;
  kind: 'install' | 'remove';
  target: { host: string; port: number; user: string };
  /** 'waiting': for the user (accept the host key); 'failed': a step failed, `retryRemoteSetup` resumes. */
  state: 'running' | 'waiting' | 'failed' | 'done' | 'cancelled';
  steps: RemoteSetupStep[];
  hostKey?: RemoteHostKey;
  /** Install, once done. */
  result?: {
    /** The bridge profile written and activated. */
    profile: string;
    /** What bridges dial: `host:port`. */
    linkAddress: string;
    transport: RemoteSetupTransport;
    /** Public addresses of the exposures now served through this portal. */
    exposures: { id: string; url: string }[];
  };
  startedAt: number;
  endedAt?: number;
  /**
   * Grows with every change of this run: an answer to a call can arrive after the events that
   * followed it, and the copy with the higher revision is the newer one.
   */
  revision: number;
}

/** A server set up from this machine (kept so "Remove from server" and a new run know it). */
export interface RemoteServer {
  host: string;
  port: number;
  user: string;
  hostKey: RemoteHostKey;
  profile: string;
  transport: RemoteSetupTransport;
  linkPort: number;
  /** Where the portal's files are on the server. */
  folder: string;
  /** systemd unit name and whether it is system-wide or the user's own. */
  unit: { name: string; scope: 'system' | 'user' };
  installedAt: number;
}
