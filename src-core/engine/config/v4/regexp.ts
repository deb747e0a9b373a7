/**
 * Go RE2 (`regexp/syntax`, Go 1.19) → JavaScript RegExp, for routing `regexp:` and `dotless:`
 * domain rules. V2Ray compiles these with Go's `regexp.Compile` and searches unanchored.
 *
 * The translation keeps RE2's meaning where JS differs (`.` excludes only "\n", `\s` is ASCII,
 * `\A`/`\z`, POSIX classes `[[:alpha:]]`, `(?P<name>`, escaped punctuation, a literal `{` that
 * is not a repeat) and rejects what RE2 rejects (look-around, back-references, unknown escapes,
 * repeats over 1000). Flags are accepted only at the very start (`(?i)`, `(?s)`, `(?m)`, not
 * `(?U)`); flags later in the pattern are reported as not supported by Porthole yet.
 */

export class RegexpSyntaxError extends Error {
  /** True when RE2 accepts the pattern but Porthole cannot translate it yet. */
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.name = 'RegexpSyntaxError';
    this.unsupported = unsupported;
  }
}

const GENERAL_CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

type Range = readonly [number, number];

const POSIX_CLASSES: Record<string, readonly Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

const PERL_CLASSES: Record<string, readonly Range[]> = {
  d: [[0x30, 0x39]],
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]],
};

function cp(code: number): string {
  return `\\u{${code.toString(16)}}`;
}

function rangesToClassBody(ranges: readonly Range[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join('');
}

function complement(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

function isAlnum(ch: string): boolean {
  return /^[0-9A-Za-z]$/.test(ch);
}

function unicodeClass(name: string, negated: boolean): string {
  const property = GENERAL_CATEGORIES.has(name) || name === 'Any' ? name : `Script=${name}`;
  return `\\${negated ? 'P' : 'p'}{${property}}`;
}

/** A translated pattern: `new RegExp(source, flags)` matches what RE2 matches. */
export interface TranslatedRegexp {
  readonly source: string;
  readonly flags: string;
}

class Translator {
  private i = 0;
  private dotAll = false;
  private readonly flags = new Set<string>(['u']);

  constructor(private readonly pattern: string) {}

  translate(): TranslatedRegexp {
    const leading = /^\(\?([a-zA-Z]+)\)/.exec(this.pattern);
    if (leading) {
      for (const flag of leading[1] as string) {
        if (flag === 'i') this.flags.add('i');
        else if (flag === 'm') this.flags.add('m');
        else if (flag === 's') { this.flags.add('s'); this.dotAll = true; }
        else if (flag === 'U') throw new RegexpSyntaxError('the (?U) flag is not supported by Porthole yet', true);
        else throw new RegexpSyntaxError(`invalid or unsupported Perl syntax: \`(?${flag}\``);
      }
      this.i = leading[0].length;
    }
    let out = '';
    while (this.i < this.pattern.length) out += this.atom();
    return { source: out, flags: [...this.flags].sort().join('') };
  }

  private peek(offset = 0): string | undefined {
    return this.pattern[this.i + offset];
  }

  private atom(): string {
    const ch = this.pattern[this.i] as string;
    switch (ch) {
      case '\\': return this.escape();
      case '[': return this.charClass();
      case '(': return this.group();
      case '.': this.i++; return this.dotAll ? '[\\s\\S]' : '[^\\n]';
      case '{': return this.brace();
      case '}': this.i++; return '\\}';
      case ']': this.i++; return '\\]';
      default: {
        const codePoint = this.pattern.codePointAt(this.i) ?? 0;
        const text = String.fromCodePoint(codePoint);
        this.i += text.length;
        return text;
      }
    }
  }

  private brace(): string {
    const repeat = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.pattern.slice(this.i));
    if (!repeat) { this.i++; return '\\{'; }
    const min = Number(repeat[1]);
    const max = repeat[3] ? Number(repeat[3]) : min;
    if (min > 1000 || max > 1000 || (repeat[3] && max < min)) throw new RegexpSyntaxError(`invalid repeat count: \`${repeat[0]}\``);
    this.i += repeat[0].length;
    return repeat[0];
  }

  private group(): string {
    const rest = this.pattern.slice(this.i);
    if (!rest.startsWith('(?')) { this.i++; return '('; }
    const named = /^\(\?P<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) { this.i += named[0].length; return `(?<${named[1]}>`; }
    if (rest.startsWith('(?:')) { this.i += 3; return '(?:'; }
    if (/^\(\?[a-zA-Z-]+[:)]/.test(rest)) {
      throw new RegexpSyntaxError('flags such as (?i) are supported by Porthole only at the start of the pattern', true);
    }
    throw new RegexpSyntaxError(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
  }

  /** Shared escapes (outside and inside classes). Returns a code point or a class body. */
  private commonEscape(): { code: number } | { body: string; standalone: string } {
    const next = this.peek(1);
    if (next === undefined) throw new RegexpSyntaxError('trailing backslash at end of expression');
    const start = this.i;
    this.i += 2;
    if (next >= '1' && next <= '7' && !/[0-7]/.test(this.peek() ?? '')) {
      throw new RegexpSyntaxError(`invalid escape sequence: \`\\${next}\``);
    }
    if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? '')) { digits += this.peek(); this.i++; }
      return { code: parseInt(digits, 8) };
    }
    if (next === 'x') {
      if (this.peek() === '{') {
        const hex = /^\{([0-9A-Fa-f]+)\}/.exec(this.pattern.slice(this.i));
        if (!hex || parseInt(hex[1] as string, 16) > 0x10ffff) throw new RegexpSyntaxError(`invalid escape sequence: \`${this.pattern.slice(start, this.i + 1)}\``);
        this.i += hex[0].length;
        return { code: parseInt(hex[1] as string, 16) };
      }
      const hex = /^[0-9A-Fa-f]{2}/.exec(this.pattern.slice(this.i));
      if (!hex) throw new RegexpSyntaxError(`invalid escape sequence: \`${this.pattern.slice(start, this.i + 2)}\``);
      this.i += 2;
      return { code: parseInt(hex[0], 16) };
    }
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (simple[next] !== undefined) return { code: simple[next] };
    const lower = next.toLowerCase();
    if ((lower === 'd' || lower === 's' || lower === 'w') && PERL_CLASSES[lower]) {
      const ranges = next === lower ? PERL_CLASSES[lower] : complement(PERL_CLASSES[lower]);
      const body = rangesToClassBody(ranges);
      return { body, standalone: `[${body}]` };
    }
    if (next === 'p' || next === 'P') {
      let name: string;
      if (this.peek() === '{') {
        const close = this.pattern.indexOf('}', this.i);
        if (close < 0) throw new RegexpSyntaxError(`invalid character class range: \`${this.pattern.slice(start)}\``);
        name = this.pattern.slice(this.i + 1, close);
        this.i = close + 1;
      } else {
        const letter = this.peek();
        if (letter === undefined) throw new RegexpSyntaxError(`invalid character class range: \`\\${next}\``);
        name = letter;
        this.i++;
      }
      let negated = next === 'P';
      if (name.startsWith('^')) { negated = !negated; name = name.slice(1); }
      const cls = unicodeClass(name, negated);
      return { body: cls, standalone: cls };
    }
    if (next.charCodeAt(0) < 0x80 && !isAlnum(next)) return { code: next.charCodeAt(0) };
    throw new RegexpSyntaxError(`invalid escape sequence: \`\\${next}\``);
  }

  private escape(): string {
    const next = this.peek(1);
    switch (next) {
      case 'A': this.i += 2; return '(?<![\\s\\S])';
      case 'z': this.i += 2; return '(?![\\s\\S])';
      case 'b': this.i += 2; return '\\b';
      case 'B': this.i += 2; return '\\B';
      case 'Q': {
        const end = this.pattern.indexOf('\\E', this.i + 2);
        const literal = this.pattern.slice(this.i + 2, end < 0 ? undefined : end);
        this.i = end < 0 ? this.pattern.length : end + 2;
        return [...literal].map((c) => (JS_SYNTAX.has(c) ? `\\${c}` : c)).join('');
      }
      default: {
        const result = this.commonEscape();
        if ('standalone' in result) return result.standalone;
        const c = String.fromCodePoint(result.code);
        if (JS_SYNTAX.has(c)) return `\\${c}`;
        return result.code < 0x20 || result.code === 0x7f ? cp(result.code) : c;
      }
    }
  }

  private charClass(): string {
    const start = this.i;
    this.i++;
    let negated = false;
    if (this.peek() === '^') { negated = true; this.i++; }
    let body = '';
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new RegexpSyntaxError(`missing closing ]: \`${this.pattern.slice(start)}\``);
      if (ch === ']' && !first) { this.i++; break; }
      first = false;
      if (ch === '[' && this.peek(1) === ':') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.pattern.slice(this.i));
        if (posix) {
          const ranges = POSIX_CLASSES[posix[2] as string];
          if (!ranges) throw new RegexpSyntaxError(`invalid character class range: \`${posix[0]}\``);
          body += rangesToClassBody(posix[1] ? complement(ranges) : ranges);
          this.i += posix[0].length;
          continue;
        }
      }
      const low = this.classChar();
      if (typeof low === 'string') { body += low; continue; }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const high = this.classChar();
        if (typeof high === 'string' || high < low) {
          throw new RegexpSyntaxError(`invalid character class range: \`${this.pattern.slice(start, this.i)}\``);
        }
        body += `${cp(low)}-${cp(high)}`;
      } else {
        body += cp(low);
      }
    }
    return `[${negated ? '^' : ''}${body}]`;
  }

  /** One class member: a code point, or a class body string (`\d`, `\pL`). */
  private classChar(): number | string {
    const ch = this.peek() as string;
    if (ch === '\\') {
      const result = this.commonEscape();
      return 'code' in result ? result.code : result.body;
    }
    const codePoint = this.pattern.codePointAt(this.i) ?? 0;
    this.i += String.fromCodePoint(codePoint).length;
    return codePoint;
  }
}

/** Translates an RE2 pattern; throws `RegexpSyntaxError` for what RE2 (or Porthole) rejects. */
export function translateRe2(pattern: string): TranslatedRegexp {
  const translated = new Translator(pattern).translate();
  try {
    new RegExp(translated.source, translated.flags);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '') : String(error);
    throw new RegexpSyntaxError(reason);
  }
  return translated;
}

/** Compiles an RE2 pattern to a JS RegExp with the same matches (unanchored search). */
export function compileRe2(pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern);
  return new RegExp(source, flags);
}
