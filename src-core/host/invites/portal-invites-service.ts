/**
 * Invites from the window: the service side of `listPortalInvites`, `createPortalInvite` and
 * `revokePortalInvite` (api/portal-invites.ts), the window's `porthole invite`.
 *
 * An invite is a user added to the portal's link inbound, in the profile's own text (comments
 * kept, portal-users.ts): a stored profile is saved; the `porthole run -c FILE` profile has its
 * file rewritten in place, as the CLI does. Then the running engine, if it runs this profile, is
 * reloaded. The engine's reload keeps unchanged parts, and the link inbound, whose users alone
 * changed, keeps running with the new users (Instance.reload): the other bridges' links and their
 * visitors' connections stay up. A revoked user's connections are closed at the reload, and its
 * next dials are refused at the handshake.
 */
import { readFileSync } from 'node:fs';
import type { PortalInvite, PortalInviteInput, PortalInviteList, Profile } from '../api/index.js';
import { ServiceError } from '../api/index.js';
import { checkedAddress, checkedPort } from '../api/invites/endpoint.js';
import { encodeInvite } from '../api/invites/invite-link.js';
import { formatErrorLine } from '../../engine/common/errors.js';
import type { ConfigSource, PortholeConfig } from '../../engine/config/index.js';
import type { Instance } from '../../engine/instance.js';
import { inviteQrSvg } from './invite-qr.js';
import { portalTraffic, userKeyFor } from './portal-user-traffic.js';
import {
  addUserText, defaultInviteAddress, inviteFor, newInviteUser, portalLinkTarget, portalLinkTargets, portalUsers, removeUserText,
  type InviteAddress, type PortalLinkTarget, type PortalUser,
} from './portal-users.js';
import { replaceFile } from './replace-file.js';

/** What the service needs from `LocalEngineService`. */
export interface PortalInvitesHost {
  /** The profile: its text and origin (`store` or `command-line`). */
  getProfile(name: string): Promise<Profile>;
  loadConfig(name: string): Promise<PortholeConfig>;
  /** The command line's files when `name` is that profile. */
  commandLineSources(name: string): readonly ConfigSource[] | undefined;
  /** A command-line file was rewritten: the profile reads its new text. */
  replaceCommandLineSource(fileName: string, text: string): void;
  saveProfile(name: string, text: string): Promise<unknown>;
  /** The engine, when it runs `profile` now. */
  runningInstance(profile: string): Instance | undefined;
  /** Applies the profile's config to the engine when it runs it; true when it did. */
  reload(profile: string): Promise<boolean>;
  note(level: 'info' | 'warning', line: string): void;
}

/** The profile's editable text: one stored document, or the command-line file holding the inbound. */
interface EditableText {
  fileName: string;
  text: string;
  write(next: string): Promise<void>;
}

function inviteProblem(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  // portal-users.ts says `invite: …`; the window names the feature already.
  return new ServiceError('PH_INVITE', formatErrorLine(error).replace(/^invite: /, ''));
}

/** `vps.example.com`, `vps.example.com:8443`, `[2001:db8::1]:443` → host and optional port. */
export function parseInviteAddress(text: string): InviteAddress {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const hostPort = /^([^:]+):(\d+)$/.exec(trimmed);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : hostPort ? [hostPort[1], hostPort[2]] : [trimmed, undefined];
  try {
    return { address: checkedAddress('address', host), ...(port !== undefined ? { port: checkedPort('address', port) } : {}) };
  } catch (error) {
    throw new ServiceError('PH_INVITE', (error as Error).message);
  }
}

export class PortalInvitesService {
  /** Edits of one profile run one after another (each reads what the last one wrote). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The address last given for a profile's inbound (`profile\0inbound`): links listed later use it too. */
  private readonly addresses = new Map<string, InviteAddress>();
  /** QR codes by link: listing every 2 s must not redraw them. */
  private qrCache = new Map<string, string>();

  constructor(private readonly host: PortalInvitesHost) {}

  async list(profile: string): Promise<PortalInviteList> {
    let targets: PortalLinkTarget[];
    try {
      const config = await this.host.loadConfig(profile);
      targets = portalLinkTargets(config);
      if (targets.length === 0) portalLinkTarget(config); // throws, saying why
    } catch (error) {
      return { profile, invites: [], problem: inviteProblem(error).message };
    }
    const instance = this.host.runningInstance(profile);
    const invites: PortalInvite[] = [];
    const cache = new Map<string, string>();
    for (const target of targets) {
      const traffic = portalTraffic(instance, target.portal.tag);
      for (const user of portalUsers(target)) {
        const link = this.linkOf(profile, target, user, instance);
        const qrSvg = link ? this.qrCache.get(link) ?? await inviteQrSvg(link) : '';
        if (link) cache.set(link, qrSvg);
        invites.push({ id: user.id, name: user.name ?? '', inbound: target.inbound.tag, link, qrSvg, traffic: traffic.of(userKeyFor(target.inbound.protocol, user.id)) });
      }
    }
    this.qrCache = cache;
    return { profile, invites, problem: null };
  }

  create(profile: string, input: PortalInviteInput): Promise<PortalInvite> {
    return this.serial(async () => {
      const config = await this.host.loadConfig(profile).catch((error: unknown) => { throw inviteProblem(error); });
      let target: PortalLinkTarget;
      let user: Required<PortalUser>;
      try {
        target = portalLinkTarget(config, input.inbound);
        user = newInviteUser(target, input.name);
      } catch (error) {
        throw inviteProblem(error);
      }
      const address = input.address !== undefined && input.address.trim() !== '' ? parseInviteAddress(input.address) : this.addresses.get(`${profile}\0${target.inbound.tag}`);
      const dial = this.dialAddress(target, address, this.host.runningInstance(profile));
      // The link is made (and checked) before the file changes: a user nobody can use is never added.
      const link = this.encode(target, user, dial);
      const editable = await this.editable(profile, target.inbound.tag);
      let next: string;
      try {
        next = addUserText(editable.fileName, editable.text, target.inbound.tag, user);
      } catch (error) {
        throw inviteProblem(error);
      }
      await editable.write(next);
      if (address) this.addresses.set(`${profile}\0${target.inbound.tag}`, address);
      const reloaded = await this.reload(profile);
      this.host.note('info', `invite: "${user.name}" added to inbound "${target.inbound.tag}" of profile "${profile}"${reloaded ? '; the running portal takes it now' : ''}`);
      const traffic = portalTraffic(this.host.runningInstance(profile), target.portal.tag).of(userKeyFor(target.inbound.protocol, user.id));
      return { id: user.id, name: user.name, inbound: target.inbound.tag, link, qrSvg: await inviteQrSvg(link), traffic };
    });
  }

  revoke(profile: string, who: string): Promise<void> {
    return this.serial(async () => {
      const config = await this.host.loadConfig(profile).catch((error: unknown) => { throw inviteProblem(error); });
      const targets = portalLinkTargets(config);
      const wanted = who.trim().toLowerCase();
      const target = targets.find((candidate) => portalUsers(candidate).some((user) => user.id.toLowerCase() === wanted || user.name === who.trim()));
      if (!target) {
        const why = targets.length === 0 ? 'it has no inbound that leads to a portal' : `no user is named or has the id "${who.trim()}"`;
        throw new ServiceError('PH_INVITE', `cannot revoke in profile "${profile}": ${why}`);
      }
      const editable = await this.editable(profile, target.inbound.tag);
      let removed: PortalUser;
      let next: string;
      try {
        ({ text: next, removed } = removeUserText(editable.fileName, editable.text, target.inbound.tag, who.trim()));
      } catch (error) {
        throw inviteProblem(error);
      }
      await editable.write(next);
      const reloaded = await this.reload(profile);
      this.host.note('info', `invite: "${removed.name ?? removed.id}" revoked from inbound "${target.inbound.tag}" of profile "${profile}"${reloaded ? '; its bridge is refused from now on' : ''}`);
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Reloads the running engine; a failure is said in the log (the file is changed already and applies at the next start). */
  private async reload(profile: string): Promise<boolean> {
    try {
      return await this.host.reload(profile);
    } catch (error) {
      this.host.note('warning', `invite: profile "${profile}" changed, but the running engine could not take it: ${formatErrorLine(error)} (it applies at the next start)`);
      return false;
    }
  }

  /** Where bridges dial: what the owner gave, else what the config implies; the inbound's real port when it listens on "any free port". */
  private dialAddress(target: PortalLinkTarget, given: InviteAddress | undefined, instance: Instance | undefined): InviteAddress | undefined {
    const address = given?.address ?? defaultInviteAddress(target);
    if (!address) return undefined;
    const port = given?.port ?? (target.inbound.port.from === 0 ? instance?.inboundAddress(target.inbound.tag)?.port : undefined);
    return { address, ...(port !== undefined ? { port } : {}) };
  }

  private encode(target: PortalLinkTarget, user: PortalUser, dial: InviteAddress | undefined): string {
    if (!dial) throw new ServiceError('PH_INVITE', 'no public address: give the address bridges dial (host or host:port), or set reverse.portals[].exposures.publicHost in the profile');
    try {
      return encodeInvite(inviteFor(target, user, dial));
    } catch (error) {
      throw inviteProblem(error);
    }
  }

  /** The link of a listed user, or '' when no address is known for it. */
  private linkOf(profile: string, target: PortalLinkTarget, user: PortalUser, instance: Instance | undefined): string {
    const dial = this.dialAddress(target, this.addresses.get(`${profile}\0${target.inbound.tag}`), instance);
    if (!dial) return '';
    try {
      return encodeInvite(inviteFor(target, user, dial));
    } catch {
      return '';
    }
  }

  private async editable(profile: string, inboundTag: string): Promise<EditableText> {
    const files = this.host.commandLineSources(profile);
    if (!files) {
      const stored = await this.host.getProfile(profile);
      return { fileName: `${profile}.json`, text: stored.text, write: async (next) => { await this.host.saveProfile(profile, next); } };
    }
    // The file that holds the inbound, read again: the owner may have edited it since the start.
    for (const source of files) {
      let text: string;
      try {
        text = readFileSync(source.name, 'utf8');
      } catch (error) {
        throw new ServiceError('PH_INVITE', `cannot read ${source.name}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      if (!holdsInbound(text, inboundTag)) continue;
      return {
        fileName: source.name,
        text,
        write: async (next) => {
          try {
            replaceFile(source.name, next);
          } catch (error) {
            throw new ServiceError('PH_INVITE', `cannot write ${source.name}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
          }
          this.host.replaceCommandLineSource(source.name, next);
        },
      };
    }
    throw new ServiceError('PH_INVITE', `none of ${files.map((source) => source.name).join(', ')} holds the inbound "${inboundTag}"`);
  }
}

/** A rough test, then the editor's own: the text names the tag and editing it finds the inbound. */
function holdsInbound(text: string, tag: string): boolean {
  if (!text.includes(JSON.stringify(tag))) return false;
  try {
    addUserText('probe.json', text, tag, { id: '00000000-0000-4000-8000-000000000000', name: 'probe' });
    return true;
  } catch (error) {
    // A file that holds the inbound but does not load alone (routing in another file) still holds it.
    return !/has no inbound tagged|has no inbounds list/.test(formatErrorLine(error));
  }
}
