/**
 * The "connect" and "host-key" steps, shared by setup and removal: log in with the host key
 * checked against the pinned one. An unknown key stops the login before any credential is sent
 * and waits for the user; a key that differs from the pinned one is refused with both
 * fingerprints and never accepted silently.
 */
import type { RemoteServerTarget, RemoteSetup, RemoteSetupStep } from '../api/index.js';
import type { HostKeyFingerprint } from './host-key.js';
import type { KnownServers } from './known-servers.js';
import { SshError, SshSession } from './ssh-session.js';
import { StepFailed, type StepOutcome, type StepResult } from './step-runner.js';

export type HostKeyVerdict = { kind: 'matched'; key: HostKeyFingerprint; pinnedAt: number } | { kind: 'unknown'; key: HostKeyFingerprint } | { kind: 'changed'; key: HostKeyFingerprint; pinned: HostKeyFingerprint };

export class Login {
  session: SshSession | undefined;
  verdict: HostKeyVerdict | undefined;
  /** Pinned during this run (accepted by the user): the host-key step says so. */
  acceptedNow = false;

  constructor(
    readonly target: RemoteServerTarget & { port: number },
    private readonly known: KnownServers,
    private readonly run: RemoteSetup,
  ) {}

  private get where(): string {
    return `${this.target.user}@${this.target.host}:${this.target.port}`;
  }

  /** A new passphrase for the key file (a retry), kept in memory for this run only. */
  setPassphrase(passphrase: string): void {
    if (this.target.auth.kind === 'key') this.target.auth = { ...this.target.auth, passphrase };
  }

  async connectStep(): Promise<StepOutcome> {
    this.close();
    const pinned = await this.known.pinned(this.target.host, this.target.port);
    let offered: HostKeyFingerprint | undefined;
    try {
      this.session = await SshSession.connect({
        target: this.target,
        checkHostKey: (key) => {
          offered = key;
          return pinned !== undefined && pinned.fingerprint === key.fingerprint && pinned.algorithm === key.algorithm;
        },
      });
    } catch (error) {
      if (error instanceof SshError && error.kind === 'host-key' && offered) {
        this.verdict = pinned ? { kind: 'changed', key: offered, pinned } : { kind: 'unknown', key: offered };
        return { detail: `reached ${this.target.host}:${this.target.port}; logs in once the host key is accepted` };
      }
      throw new StepFailed(error instanceof SshError ? error.message : `could not log in to ${this.where}: ${(error as Error).message}`);
    }
    this.verdict = { kind: 'matched', key: offered ?? { algorithm: 'unknown', fingerprint: 'unknown' }, pinnedAt: pinned?.pinnedAt ?? Date.now() };
    const how = this.target.auth.kind === 'agent' ? 'the ssh-agent' : `the key ${this.target.auth.keyFile}`;
    return { detail: `logged in as ${this.where} with ${how}` };
  }

  async hostKeyStep(step: RemoteSetupStep): Promise<StepResult> {
    const verdict = this.verdict;
    if (!verdict) throw new StepFailed('the server showed no host key: retry');
    if (verdict.kind === 'unknown') {
      this.run.hostKey = { ...verdict.key, known: false };
      step.state = 'waiting';
      step.detail = `${verdict.key.algorithm} ${verdict.key.fingerprint}`;
      step.reason = `a new server: check that its key is ${verdict.key.fingerprint} (on the server: ssh-keygen -lf /etc/ssh/ssh_host_${verdict.key.algorithm.replace(/^ssh-|-.*$/g, '')}_key.pub), then accept it`;
      return 'waiting';
    }
    if (verdict.kind === 'changed') {
      this.run.hostKey = { ...verdict.key, known: false, pinnedFingerprint: verdict.pinned.fingerprint };
      throw new StepFailed(`the server's host key changed: it shows ${verdict.key.algorithm} ${verdict.key.fingerprint}, but ${verdict.pinned.algorithm} ${verdict.pinned.fingerprint} was accepted before. Refused: if the server was reinstalled, remove its pin from known-servers.json, else someone may be in between`);
    }
    this.run.hostKey = { ...verdict.key, known: !this.acceptedNow };
    return { detail: this.acceptedNow ? `${verdict.key.fingerprint}: accepted and pinned` : `${verdict.key.fingerprint}: the key pinned on ${new Date(verdict.pinnedAt).toISOString().slice(0, 10)}` };
  }

  /** Pins the key the waiting run showed; a fingerprint that is not that one is refused. */
  async accept(fingerprint: string): Promise<void> {
    const verdict = this.verdict;
    if (verdict?.kind !== 'unknown') throw new Error('no new host key is waiting to be accepted');
    if (verdict.key.fingerprint !== fingerprint) throw new Error(`${fingerprint} is not the key the server showed (${verdict.key.fingerprint})`);
    await this.known.pin(this.target.host, this.target.port, verdict.key);
    this.acceptedNow = true;
  }

  /** The session, logged in again (pinned key only) if the connection was lost since. */
  async ensure(): Promise<SshSession> {
    if (this.session?.alive) return this.session;
    await this.connectStep();
    if (this.verdict?.kind !== 'matched' || !this.session) throw new StepFailed(`logging in to ${this.where} again failed: the host key is no longer the pinned one`);
    return this.session;
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
