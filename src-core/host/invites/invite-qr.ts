/**
 * An invite link as a QR code: an SVG document for the window (shown as an image, never as
 * markup), and block characters for the terminal (`porthole invite`). Level L keeps the code
 * small enough to scan from a phone held up to a screen; a link is ~200 characters.
 */
import QRCode from 'qrcode';

export async function inviteQrSvg(link: string): Promise<string> {
  return QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'L', margin: 2, color: { dark: '#000000ff', light: '#ffffffff' } });
}

export async function qrLines(text: string): Promise<string> {
  return (await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })).trimEnd();
}
