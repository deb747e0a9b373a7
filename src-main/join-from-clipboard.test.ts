import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import type { ProfileSummary } from '../src-core/host/api/index.js';
import { encodeInvite } from '../src-core/host/api/invites/invite-link.js';
import { bgraToRgba, joinFromClipboard, linkFromClipboard, runJoinFromClipboard, type ClipboardContent, type ClipboardImage } from './join-from-clipboard.js';

const INVITE = encodeInvite({
  endpoint: { protocol: 'vmess', address: 'vps.example.com', port: 443, id: '6d70fd5f-16e6-46cc-88c9-8fa107d91bad', network: 'ws', tls: true, path: '/porthole' },
  domain: 'home.example',
  name: 'alice',
});
const SHARE = 'vless://6d70fd5f-16e6-46cc-88c9-8fa107d91bad@vps.example.com:443?encryption=none&security=tls&type=ws&path=%2Fporthole#home';

/**
 * A real QR code (the `qrcode` package's own matrix) drawn as Electron's clipboard gives it: BGRA,
 * `scale` pixels a module, a 4-module quiet zone, in colours (navy on cream) so that a wrong
 * channel order would show in the pixels.
 */
function qrImage(text: string, scale = 4): ClipboardImage {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const side = (modules.size + 8) * scale;
  const bgra = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const row = Math.floor(y / scale) - 4;
      const column = Math.floor(x / scale) - 4;
      const dark = row >= 0 && column >= 0 && row < modules.size && column < modules.size && modules.get(row, column) === 1;
      const [red, green, blue] = dark ? [20, 30, 90] : [250, 244, 225];
      bgra.set([blue, green, red, 255], (y * side + x) * 4);
    }
  }
  return { width: side, height: side, bgra };
}

function noise(width: number, height: number): ClipboardImage {
  const bgra = new Uint8Array(width * height * 4);
  let seed = 7;
  for (let index = 0; index < bgra.length; index++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bgra[index] = index % 4 === 3 ? 255 : seed & 0xff;
  }
  return { width, height, bgra };
}

function fakeService(names: string[] = []) {
  const log: string[] = [];
  const summary = (name: string): ProfileSummary => ({ name, origin: 'store', active: false, updatedAt: 0, error: null, roles: ['bridge "bridge"'] });
  const service = {
    listProfiles: async () => names.map(summary),
    saveProfile: async (name: string, text: string) => { log.push(`save ${name}: ${text.split('\n')[0]}`); return summary(name); },
    activateProfile: async (name: string) => { log.push(`activate ${name}`); return { state: 'running' as const, profile: name, since: 0, error: null, listening: [] }; },
  };
  return { service, log };
}

const clip = (text: string, image: ClipboardImage | null = null): ClipboardContent => ({ text, image });

describe('join from clipboard: reading it', () => {
  it('turns BGRA into RGBA', () => {
    expect([...bgraToRgba(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))]).toEqual([3, 2, 1, 4, 7, 6, 5, 8]);
  });

  it('takes a link as text (trimmed), or from the QR code in a picture', () => {
    expect(linkFromClipboard(clip(`  ${INVITE}\n`))).toEqual({ ok: true, link: INVITE, from: 'text' });
    expect(linkFromClipboard(clip('', qrImage(INVITE)))).toEqual({ ok: true, link: INVITE, from: 'qr-code' });
    // A picture copied from a page often comes with its alt text: the code is read when the text is no link.
    expect(linkFromClipboard(clip('QR code of the invite link for alice', qrImage(INVITE, 3)))).toEqual({ ok: true, link: INVITE, from: 'qr-code' });
  });

  it.each<[string, ClipboardContent, string]>([
    ['empty', clip(''), 'the clipboard is empty: copy an invite link, or a picture of its QR code, first'],
    ['text that is no link', clip('hello there, here is my server'), 'the clipboard holds "hello there, here is my server", not a porthole://, vmess:// or vless:// link (copy the whole link)'],
    ['a picture without a code', clip('', noise(120, 90)), 'the picture on the clipboard has no QR code Porthole can read (copy the code itself, sharp and whole)'],
    ['a code that is no link', clip('', qrImage('https://example.com/not-an-invite')), 'the QR code on the clipboard says "https://example.com/not-an-invite", not a porthole://, vmess:// or vless:// link'],
    ['a picture of the wrong size', clip('', { width: 10, height: 10, bgra: new Uint8Array(12) }), 'the picture on the clipboard could not be read (10×10 with 12 bytes)'],
  ])('%s: one clear line', (_what, content, problem) => {
    expect(linkFromClipboard(content)).toEqual({ ok: false, problem });
  });
});

describe('join from clipboard: the profile', () => {
  it('saves the bridge profile as the Profiles page does, under a free name', async () => {
    const { service, log } = fakeService(['alice']);
    expect(await joinFromClipboard(service, clip('', qrImage(INVITE)))).toMatchObject({ kind: 'saved', profile: { name: 'alice (2)' }, from: 'qr-code' });
    expect(log).toEqual(['save alice (2): // Bridge made by Porthole from an invite for "alice" (vmess to vps.example.com:443).']);
  });

  it('a bad invite says what is wrong in it; a share link needs the domain (the Profiles page asks)', async () => {
    const { service, log } = fakeService();
    expect(await joinFromClipboard(service, clip(INVITE.replace('v=1', 'v=2')))).toEqual({ kind: 'problem', problem: 'invite link: version 2 is newer than this Porthole reads (1); update Porthole' });
    expect(await joinFromClipboard(service, clip(SHARE))).toEqual({ kind: 'needs-domain', link: SHARE });
    expect(log).toEqual([]);
  });

  it('offers to activate it: taken → activated; declined → only saved', async () => {
    for (const accept of [true, false]) {
      const { service, log } = fakeService();
      await runJoinFromClipboard(service, {
        readClipboard: () => clip(INVITE),
        offerAction: async (title, body, action) => { log.push(`offer ${title} | ${body} | ${action}`); return accept; },
        notify: (title, body) => log.push(`notify ${title}: ${body}`),
        openWindow: (page) => log.push(`open ${page}`),
      });
      expect(log).toEqual([
        'save alice: // Bridge made by Porthole from an invite for "alice" (vmess to vps.example.com:443).',
        'offer Bridge profile "alice" made | From the link on the clipboard. Activate it to link to the portal now. | Activate',
        ...(accept ? ['activate alice', 'notify "alice" is active: The bridge is linking to the portal.'] : []),
      ]);
    }
  });

  it('says what is on the clipboard instead, or sends a share link to Profiles', async () => {
    const { service, log } = fakeService();
    const effects = (content: ClipboardContent) => ({
      readClipboard: () => content,
      offerAction: async () => true,
      notify: (title: string, body: string) => log.push(`notify ${title}: ${body}`),
      openWindow: (page: string) => log.push(`open ${page}`),
    });
    await runJoinFromClipboard(service, effects(clip('')));
    await runJoinFromClipboard(service, effects(clip(SHARE)));
    expect(log).toEqual([
      'notify Nothing to join from the clipboard: The clipboard is empty: copy an invite link, or a picture of its QR code, first.',
      'notify This link needs the portal’s domain: A vless:// link does not say the portal’s reverse domain. Paste it in Profiles → Join with an invite link, with the domain.',
      'open profiles',
    ]);
  });
});
