/**
 * Invites from the window (issue 7/7, portal side): a portal profile's users with their traffic
 * (fetched again every few seconds while the dialog is open), the invite just made (its link and
 * QR code), and revoking. Its own small store: only the Invite dialog needs it.
 */
import { create } from 'zustand';
import type { PortalInvite, PortalInviteInput, PortalInviteList, ProfileSummary } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';

/** How often the users list is fetched again while the dialog is open. */
export const INVITES_REFRESH_MS = 2000;

export interface InvitesState {
  /** The profile the dialog is open for; null while closed. */
  profile: string | null;
  list: PortalInviteList | null;
  /** Why the list could not be fetched (the engine service failed, not "not a portal": that is `list.problem`). */
  listError: string | null;
  creating: boolean;
  createError: string | null;
  /** The invite whose link and QR code are shown: the one just made, or one picked in the table. */
  shown: PortalInvite | null;
  /** The user being revoked now. */
  revoking: string | null;
  /** What the last action did, for the dialog's one polite live region. */
  notice: { tone: 'ok' | 'error'; text: string } | null;

  open(profile: string): Promise<void>;
  close(): void;
  refresh(): Promise<void>;
  create(input: PortalInviteInput): Promise<PortalInvite | null>;
  show(id: string | null): void;
  revoke(id: string): Promise<boolean>;
}

const CLOSED = { profile: null, list: null, listError: null, creating: false, createError: null, shown: null, revoking: null, notice: null } as const;

function messageOf(error: unknown): string {
  return asSentence(envelopeOf(error).message);
}

export const useInvitesStore = create<InvitesState>()((set, get) => ({
  ...CLOSED,

  async open(profile) {
    set({ ...CLOSED, profile });
    await get().refresh();
  },

  close() {
    set({ ...CLOSED });
  },

  async refresh() {
    const { profile } = get();
    if (profile === null) return;
    try {
      const list = await engineService().listPortalInvites(profile);
      // The dialog may have closed or moved to another profile meanwhile.
      if (get().profile !== profile) return;
      const shown = get().shown;
      // A shown invite follows the list (its traffic), and goes when it is revoked elsewhere.
      set({ list, listError: null, shown: shown ? list.invites.find((invite) => invite.id === shown.id) ?? null : null });
    } catch (error) {
      if (get().profile === profile) set({ listError: messageOf(error) });
    }
  },

  async create(input) {
    const { profile } = get();
    if (profile === null || get().creating) return null;
    set({ creating: true, createError: null, notice: null });
    try {
      const invite = await engineService().createPortalInvite(profile, input);
      if (get().profile !== profile) return null;
      set({ creating: false, shown: invite, notice: { tone: 'ok', text: `Invite for “${invite.name}” made: give them the link or the QR code.` } });
      await get().refresh();
      return invite;
    } catch (error) {
      if (get().profile === profile) set({ creating: false, createError: messageOf(error) });
      return null;
    }
  },

  show(id) {
    const invite = id === null ? null : get().list?.invites.find((candidate) => candidate.id === id) ?? null;
    set({ shown: invite });
  },

  async revoke(id) {
    const { profile, list } = get();
    if (profile === null || get().revoking !== null) return false;
    const name = list?.invites.find((invite) => invite.id === id)?.name || shortId(id);
    set({ revoking: id, notice: null });
    try {
      await engineService().revokePortalInvite(profile, id);
      if (get().profile !== profile) return true;
      set({ revoking: null, notice: { tone: 'ok', text: `Revoked “${name}”: its bridge is refused from now on.` }, ...(get().shown?.id === id ? { shown: null } : {}) });
      await get().refresh();
      return true;
    } catch (error) {
      if (get().profile === profile) set({ revoking: null, notice: { tone: 'error', text: `Could not revoke “${name}”: ${messageOf(error)}` } });
      return false;
    }
  },
}));

/** Back to closed (tests call it between cases). */
export function resetInvitesStore(): void {
  useInvitesStore.setState({ ...CLOSED });
}

/** True for a profile whose config runs a portal (invites are made there). */
export function isPortalProfile(profile: Pick<ProfileSummary, 'roles' | 'error'> | undefined): boolean {
  return profile !== undefined && profile.error === null && profile.roles.some((role) => role.startsWith('portal '));
}

/** The first block of a UUID: enough to tell users apart in a table. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * The service's QR code as an image address. The SVG is shown through `<img>` (scripts in an
 * image never run, and the CSP allows `data:` images), never put into the page as markup.
 * Null for anything that is not an SVG document.
 */
export function qrImageSource(svg: string): string | null {
  const text = svg.trim();
  if (!/^(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)) return null;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
}
