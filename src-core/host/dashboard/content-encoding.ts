/**
 * Which encoding a static file goes out in (RFC 9110 §12.5.3, Accept-Encoding), and whether a
 * cached copy still matches (§13.1.2, If-None-Match). Pure: the dashboard's file server asks.
 */

/** The encodings the dashboard serves, best first: brotli is smaller than gzip for JS and CSS. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

const PREFERENCE: readonly ContentEncoding[] = ['br', 'gzip'];

/** `br;q=0.5` → ['br', 0.5]; a malformed weight counts as 0 (refused), as the RFC's grammar does not match it. */
function weighted(part: string): [string, number] | null {
  const [name = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
  if (name === '') return null;
  let quality = 1;
  for (const parameter of parameters) {
    const match = /^q\s*=\s*(\S+)$/.exec(parameter);
    if (!match?.[1]) continue;
    quality = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(match[1]) ? Number(match[1]) : 0;
  }
  return [name, quality];
}

/**
 * The encoding to send for `header` (undefined: the client sent none, so identity). Among those
 * the client accepts with the same weight, brotli before gzip; `*` stands for any not named.
 */
export function chooseEncoding(header: string | undefined): ContentEncoding {
  if (!header) return 'identity';
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const entry = weighted(part);
    if (entry) weights.set(entry[0], entry[1]);
  }
  const star = weights.get('*');
  let best: ContentEncoding = 'identity';
  let bestQuality = 0;
  for (const encoding of PREFERENCE) {
    const quality = weights.get(encoding) ?? (encoding === 'gzip' ? weights.get('x-gzip') : undefined) ?? star ?? 0;
    if (quality > bestQuality) {
      best = encoding;
      bestQuality = quality;
    }
  }
  return best;
}

/** True when `ifNoneMatch` names `etag` (or is `*`): the client's copy is current, answer 304. Weak comparison, as §13.1.2 asks. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => bare(tag) === bare(etag));
}
