/**
 * "Join from clipboard" (tray, issue 7/7): what is on the clipboard — a `porthole://` invite or a
 * `vmess://` / `vless://` share link as text, or a picture of an invite's QR code — becomes a
 * bridge profile, made as the Profiles page's join makes it (`bridgeProfileFromLink`), and the
 * user is offered to activate it. The wiring reads the clipboard (Electron's `readText`, and a
 * picture's `NativeImage.toBitmap()`); everything here is plain data, tested without Electron.
 */
import jsQRModule from 'jsqr';
import type { EngineService, ProfileSummary } from '../src-core/host/api/index.js';
import { toErrorEnvelope } from '../src-core/host/api/index.js';
import { bridgeProfileFromLink, linkKind } from '../src-core/host/api/invites/profile-from-link.js';

/** jsqr is CommonJS: its function arrives as the default export itself, or under `default` once bundled. */
const jsQR = (typeof jsQRModule === 'function' ? jsQRModule : jsQRModule.default) as typeof jsQRModule.default;

/**
 * A picture from the clipboard: Electron's `NativeImage.toBitmap()`, 4 bytes a pixel, B G R A
 * (Skia's native order on the desktop; Electron calls it platform-dependent, which a black-and-white
 * code does not mind).
 */
export interface ClipboardImage {
  width: number;
  height: number;
  bgra: Uint8Array;
}

/** What the clipboard holds: text (maybe empty) and a picture, if any. */
export interface ClipboardContent {
  text: string;
  image: ClipboardImage | null;
}

/** Pictures larger than this (a whole 8K screenshot) are not searched for a code. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export type ClipboardLink = { ok: true; link: string; from: 'text' | 'qr-code' } | { ok: false; problem: string };

/** BGRA → RGBA, the order jsQR reads. (QR codes are black on white, so a wrong guess would still read; the order is kept right all the same.) */
export function bgraToRgba(bgra: Uint8Array): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(bgra.length);
  for (let index = 0; index + 3 < bgra.length; index += 4) {
    rgba[index] = bgra[index + 2]!;
    rgba[index + 1] = bgra[index + 1]!;
    rgba[index + 2] = bgra[index]!;
    rgba[index + 3] = bgra[index + 3]!;
  }
  return rgba;
}

/** The text of the QR code in the picture, or null when there is none; throws on a picture that is not what it says. */
export function qrTextOf(image: ClipboardImage): string | null {
  const { width, height, bgra } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || bgra.length !== width * height * 4) {
    throw new Error(`the picture on the clipboard could not be read (${width}×${height} with ${bgra.length} bytes)`);
  }
  if (width * height > MAX_IMAGE_PIXELS) throw new Error(`the picture on the clipboard is too large to search for a QR code (${width}×${height}): copy just the code`);
  return jsQR(bgraToRgba(bgra), width, height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

function shortened(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

/** The link on the clipboard: its text when that is a link, else the QR code in its picture; otherwise one line saying what is there instead. */
export function linkFromClipboard(content: ClipboardContent): ClipboardLink {
  const text = content.text.trim();
  if (text !== '' && linkKind(text) !== 'unknown') return { ok: true, link: text, from: 'text' };
  if (content.image) {
    let decoded: string | null;
    try {
      decoded = qrTextOf(content.image);
    } catch (error) {
      return { ok: false, problem: (error as Error).message };
    }
    if (decoded === null) return { ok: false, problem: 'the picture on the clipboard has no QR code Porthole can read (copy the code itself, sharp and whole)' };
    if (linkKind(decoded.trim()) === 'unknown') return { ok: false, problem: `the QR code on the clipboard says "${shortened(decoded)}", not a porthole://, vmess:// or vless:// link` };
    return { ok: true, link: decoded.trim(), from: 'qr-code' };
  }
  if (text !== '') return { ok: false, problem: `the clipboard holds "${shortened(text)}", not a porthole://, vmess:// or vless:// link (copy the whole link)` };
  return { ok: false, problem: 'the clipboard is empty: copy an invite link, or a picture of its QR code, first' };
}

/** `name`, or `name (2)`, `name (3)`… when a profile has it (as the Profiles page's join does). */
export function freeProfileName(name: string, taken: readonly string[]): string {
  const used = new Set(taken);
  let unique = name;
  for (let n = 2; used.has(unique); n++) unique = `${name.slice(0, 74)} (${n})`;
  return unique;
}

export type ClipboardJoin =
  | { kind: 'saved'; profile: ProfileSummary; from: 'text' | 'qr-code' }
  /** A share link: it does not say the portal's reverse domain, which the Profiles page asks for. */
  | { kind: 'needs-domain'; link: string }
  | { kind: 'problem'; problem: string };

/** Reads the clipboard's link and saves the bridge profile it makes. */
export async function joinFromClipboard(service: Pick<EngineService, 'listProfiles' | 'saveProfile'>, content: ClipboardContent): Promise<ClipboardJoin> {
  const found = linkFromClipboard(content);
  if (!found.ok) return { kind: 'problem', problem: found.problem };
  if (linkKind(found.link) === 'share') return { kind: 'needs-domain', link: found.link };
  let made: { name: string; text: string };
  try {
    made = bridgeProfileFromLink(found.link);
  } catch (error) {
    return { kind: 'problem', problem: toErrorEnvelope(error).message };
  }
  const existing = await service.listProfiles();
  const profile = await service.saveProfile(freeProfileName(made.name, existing.map((summary) => summary.name)), made.text);
  return { kind: 'saved', profile, from: found.from };
}

/** What the tray's "Join from clipboard" needs from Electron. */
export interface JoinEffects {
  readClipboard(): ClipboardContent | Promise<ClipboardContent>;
  /** Shows a notice with one action; resolves true when the user takes it. */
  offerAction(title: string, body: string, action: string): Promise<boolean>;
  notify(title: string, body: string): void;
  openWindow(page: 'profiles'): void;
}

/** The tray item: join, say what happened in a notice, and activate the profile when the user says so. */
export async function runJoinFromClipboard(service: Pick<EngineService, 'listProfiles' | 'saveProfile' | 'activateProfile'>, effects: JoinEffects): Promise<void> {
  const outcome = await joinFromClipboard(service, await effects.readClipboard());
  switch (outcome.kind) {
    case 'problem':
      effects.notify('Nothing to join from the clipboard', `${outcome.problem.charAt(0).toUpperCase()}${outcome.problem.slice(1)}.`);
      return;
    case 'needs-domain':
      effects.notify('This link needs the portal’s domain', `A ${outcome.link.slice(0, outcome.link.indexOf(':'))}:// link does not say the portal’s reverse domain. Paste it in Profiles → Join with an invite link, with the domain.`);
      effects.openWindow('profiles');
      return;
    case 'saved': {
      const { name } = outcome.profile;
      const from = outcome.from === 'qr-code' ? 'the QR code on the clipboard' : 'the link on the clipboard';
      if (outcome.profile.error) {
        effects.notify(`Saved "${name}" with an error`, `${outcome.profile.error.message} (fix it in Profiles)`);
        return;
      }
      if (!(await effects.offerAction(`Bridge profile "${name}" made`, `From ${from}. Activate it to link to the portal now.`, 'Activate'))) return;
      await service.activateProfile(name);
      effects.notify(`"${name}" is active`, 'The bridge is linking to the portal.');
    }
  }
}
