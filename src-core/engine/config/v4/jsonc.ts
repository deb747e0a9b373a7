/**
 * JSON-with-comments reader that accepts exactly what V2Ray 4.34 accepts
 * (`infra/conf/json/reader.go` + Go `encoding/json` via `json.Decoder`), and says where and
 * why when it does not. Wire-protocol doc §7.
 *
 * Two passes:
 * 1. `lex()` mirrors V2Ray's comment-stripping state machine (`//`, `/* *\/` and `#` outside
 *    strings, including its quirk that `*`, newline, `/` still closes a block comment) and
 *    replaces comments by spaces of equal length (newlines kept), so offsets in the stripped
 *    text are offsets in the original. It also checks what Go's scanner checks and
 *    jsonc-parser does not: number syntax (`01`, `1.`, `.5`), whitespace (only space, tab, CR,
 *    LF; jsonc-parser also takes NBSP, VT, BOM...), string escapes and control characters,
 *    and it finds where the first top-level value ends. Go's `Decoder.Decode` stops there and
 *    ignores the rest of the file, so do we (with a warning).
 * 2. jsonc-parser builds the tree from the stripped text (no comments, no trailing commas) and
 *    reports structural errors (missing comma, missing colon, trailing comma...).
 *
 * For loading, the earliest error wins, as in Go's left-to-right scan (`parseJsonc`). For the
 * editor, `parseJsoncAll` reports every error, one per line: what follows a mistake on its line
 * is usually the parser losing its footing, not a second mistake. Positions are 1-based lines and
 * 1-based columns counted in UTF-16 code units of the original text (what editors show).
 */
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsoncNode, ParseError } from 'jsonc-parser';
import { PortholeError } from '../../common/errors.js';

/** One config file: its name (as shown in errors) and text. */
export interface JsonFile {
  readonly name: string;
  readonly text: string;
  /** Offset of the first character of each line. */
  readonly lineStarts: readonly number[];
}

interface NodeBase {
  readonly file: JsonFile;
  readonly offset: number;
  readonly length: number;
  /** JSON path from the file's root, with the key spelling used in the file (`Inbounds[0].port`). */
  readonly path: string;
}

/** One `"key": value` of an object, in file order (duplicates kept). */
export interface JsonMember {
  readonly key: string;
  readonly keyOffset: number;
  readonly value: JsonNode;
}

/** JSON values with their place; see `NodeBase`. */
export interface JsonObject extends NodeBase { readonly kind: 'object'; readonly members: readonly JsonMember[] }
export interface JsonArray extends NodeBase { readonly kind: 'array'; readonly items: readonly JsonNode[] }
export interface JsonString extends NodeBase { readonly kind: 'string'; readonly value: string }
/** `raw` is the literal text, so integer checks can follow Go (`1e3` and `1.0` are not integers). */
export interface JsonNumber extends NodeBase { readonly kind: 'number'; readonly value: number; readonly raw: string }
export interface JsonBoolean extends NodeBase { readonly kind: 'boolean'; readonly value: boolean }
export interface JsonNull extends NodeBase { readonly kind: 'null' }

export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonBoolean | JsonNull;

/** A place in a config file, in the shape `PortholeError` options take. */
export interface ConfigPlace {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
}

/** One parsed file: its root value and warnings (text ignored after the top-level value). */
export interface ParsedJson {
  readonly file: JsonFile;
  /** The top-level value; `undefined` never happens (an empty file is an error). */
  readonly root: JsonNode;
  readonly warnings: readonly PortholeError[];
}

export function createJsonFile(name: string, text: string): JsonFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) lineStarts.push(i + 1);
  }
  return { name, text, lineStarts };
}

/** 1-based line and column of `offset`. */
export function lineColumn(file: JsonFile, offset: number): { line: number; column: number } {
  const starts = file.lineStarts;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}

export function placeAt(file: JsonFile, offset: number, path: string): ConfigPlace {
  const { line, column } = lineColumn(file, offset);
  return { file: file.name, line, column, path };
}

export function placeOf(node: JsonNode): ConfigPlace {
  return placeAt(node.file, node.offset, node.path);
}

/** Path of a child: `a.b`, `a["odd key"]`, `a[3]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

interface LexError {
  readonly offset: number;
  /** Offset just past the offending token, so that parser complaints inside it are not repeated. */
  readonly end: number;
  readonly message: string;
}

interface LexResult {
  /** Same length as the input; comments replaced by spaces (newlines kept). */
  readonly stripped: string;
  /** Offset just past the first top-level value, or undefined when it never closes. */
  readonly rootEnd: number | undefined;
  /** Offset of the first token, or undefined for an empty (or comment-only) file. */
  readonly firstToken: number | undefined;
  /** The lexical errors before `rootEnd`, in text order. */
  readonly errors: readonly LexError[];
  /** Openers (`{`/`[`) still open at the end of the text, innermost last. */
  readonly unclosed: readonly number[];
  /** Start of a block comment still open at the end of the text. */
  readonly openComment: number | undefined;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const WORD_CHAR = /[A-Za-z0-9_$+\-.]/;

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const names: Record<number, string> = {
    0x09: 'tab', 0x0b: 'vertical tab', 0x0c: 'form feed', 0xa0: 'no-break space', 0xfeff: 'byte-order mark',
    0x2028: 'line separator', 0x2029: 'paragraph separator', 0x200b: 'zero-width space', 0x3000: 'ideographic space',
  };
  const name = names[code];
  if (name) return `${hex} (${name})`;
  if (code < 0x20 || code === 0x7f) return hex;
  if (code < 0x7f) return `"${ch}"`;
  return `"${ch}" (${hex})`;
}

/** Pass 1: strip comments like V2Ray's reader and check Go's lexical rules. */
function lex(text: string): LexResult {
  const out: string[] = [];
  const errors: LexError[] = [];
  let rootEnd: number | undefined;
  let firstToken: number | undefined;
  let openComment: number | undefined;
  const stack: number[] = [];
  const report = (offset: number, message: string, end = offset + 1): void => {
    if (rootEnd === undefined || offset < rootEnd) errors.push({ offset, end, message });
  };
  const tokenAt = (offset: number): void => {
    if (firstToken === undefined) firstToken = offset;
  };
  const valueEnded = (end: number): void => {
    if (rootEnd === undefined && stack.length === 0) rootEnd = end;
  };

  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i] as string;
    const code = ch.charCodeAt(0);
    if (ch === '"') {
      tokenAt(i);
      const start = i;
      out.push('"');
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        const cc = c.charCodeAt(0);
        if (c === '"') { out.push(c); i++; closed = true; break; }
        if (c === '\\') {
          const next = text[i + 1];
          if (next === undefined) { out.push(c); i++; break; }
          if ('"\\/bfnrt'.includes(next)) {
            out.push(c, next); i += 2; continue;
          }
          if (next === 'u') {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) report(i, `invalid \\u escape in string: expected 4 hex digits after "\\u"`, i + 2);
            out.push(c); i++; continue;
          }
          report(i, `invalid escape "\\${next}" in string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`, i + 2);
          out.push(c); i++; continue;
        }
        if (cc === 0x0a || cc === 0x0d) {
          report(start, 'unterminated string: a string cannot span lines (close it with ")', i);
          break;
        }
        if (cc < 0x20) report(i, `control character ${describeChar(c)} inside a string: write it as an escape such as \\t`);
        out.push(c);
        i++;
      }
      if (!closed && i >= n) report(start, 'unterminated string: missing closing "', i);
      valueEnded(i);
      continue;
    }
    if (ch === '#' || (ch === '/' && text[i + 1] === '/')) {
      while (i < n && text[i] !== '\n') { out.push(' '); i++; }
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      // V2Ray's reader: after '*', a newline keeps the "star seen" state, so "*\n/" closes.
      const start = i;
      out.push(' ', ' ');
      i += 2;
      let star = false;
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        out.push(c === '\n' ? '\n' : ' ');
        i++;
        if (star && c === '/') { closed = true; break; }
        if (c === '*') star = true;
        else if (c !== '\n') star = false;
      }
      if (!closed) openComment = start;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') { out.push(ch); i++; continue; }
    if (ch === '{' || ch === '[') {
      tokenAt(i);
      stack.push(i);
      out.push(ch); i++; continue;
    }
    if (ch === '}' || ch === ']') {
      tokenAt(i);
      stack.pop();
      out.push(ch); i++;
      valueEnded(i);
      continue;
    }
    if (ch === ':' || ch === ',') { tokenAt(i); out.push(ch); i++; continue; }
    if (ch === '-' || (code >= 0x30 && code <= 0x39) || ch === '+' || ch === '.') {
      tokenAt(i);
      const start = i;
      while (i < n && WORD_CHAR.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      if (!JSON_NUMBER.test(word)) {
        let why = '';
        if (/^-?0\d/.test(word)) why = ' (leading zeros are not allowed)';
        else if (word.startsWith('+')) why = ' (a leading "+" is not allowed)';
        else if (/^-?\./.test(word) || /\.(?:$|[eE])/.test(word)) why = ' (write digits on both sides of ".")';
        else if (/^-?0[xX]/.test(word)) why = ' (hexadecimal is not allowed)';
        report(start, `invalid number ${word}${why}`, i);
      }
      out.push(word);
      valueEnded(i);
      continue;
    }
    if (/[A-Za-z_$]/.test(ch)) {
      tokenAt(i);
      const start = i;
      while (i < n && /[A-Za-z0-9_$]/.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      if (word !== 'true' && word !== 'false' && word !== 'null') {
        report(start, `unexpected word ${word}: strings need double quotes, and the only literals are true, false and null`, i);
      }
      out.push(word);
      valueEnded(i);
      continue;
    }
    tokenAt(i);
    if (ch === "'") {
      // One mistake, one error: the quoted text is not also reported as unexpected words.
      const start = i;
      const close = text.indexOf("'", i + 1);
      const lineEnd = text.indexOf('\n', i);
      const end = close !== -1 && (lineEnd === -1 || close < lineEnd) ? close + 1 : i + 1;
      report(start, `strings need double quotes, not single quotes (V2Ray rejects '...')`, end);
      out.push(text.slice(start, end));
      i = end;
      valueEnded(i);
      continue;
    }
    if (ch === '\\') report(i, 'unexpected backslash outside a string');
    else if (i === 0 && code === 0xfeff) report(i, 'the file starts with a byte-order mark (BOM), which V2Ray rejects: save it as UTF-8 without BOM');
    else report(i, `unexpected character ${describeChar(ch)}`);
    out.push(ch);
    i++;
  }
  return { stripped: out.join(''), rootEnd, firstToken, errors, unclosed: stack, openComment };
}

const STRUCTURAL = new Set([
  'PropertyNameExpected', 'ValueExpected', 'ColonExpected', 'CommaExpected',
  'CloseBraceExpected', 'CloseBracketExpected', 'EndOfFileExpected',
]);

function syntaxError(file: JsonFile, offset: number, message: string): PortholeError {
  const { line, column } = lineColumn(file, offset);
  return new PortholeError('PH_CONFIG_SYNTAX', message, { file: file.name, line, column });
}

/** The innermost `{` or `[` still open at `offset` in the stripped text. */
function innermostOpener(stripped: string, offset: number): '{' | '[' | undefined {
  const stack: ('{' | '[')[] = [];
  let inString = false;
  for (let i = 0; i < offset; i++) {
    const ch = stripped[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch);
    else if (ch === '}' || ch === ']') stack.pop();
  }
  return stack[stack.length - 1];
}

/** Offset of the last non-whitespace character before `offset` in the stripped text, or -1. */
function previousToken(stripped: string, offset: number): number {
  let i = offset - 1;
  while (i >= 0 && /\s/.test(stripped[i] as string)) i--;
  return i;
}

function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Short description of a jsonc value node: `"out"`, `80`, `{…}`. */
function describeJsonc(node: JsoncNode, stripped: string): string {
  if (node.type === 'object') return '{…}';
  if (node.type === 'array') return '[…]';
  return truncate(stripped.slice(node.offset, node.offset + node.length).trim());
}

/** The value that ends at `end` (exclusive), with its key when it is a property value. */
function describeEndingValue(root: JsoncNode | undefined, end: number, stripped: string): string | undefined {
  if (!root) return undefined;
  let found: JsoncNode | undefined;
  const visit = (node: JsoncNode): void => {
    if (node.offset + node.length === end && node.type !== 'property') found = node;
    if (node.offset < end && end <= node.offset + node.length) node.children?.forEach(visit);
  };
  visit(root);
  if (!found) return undefined;
  const parent = found.parent;
  if (parent?.type === 'property') {
    const key = parent.children?.[0];
    if (key === found) return undefined;
    if (key) return `${JSON.stringify(key.value)}: ${describeJsonc(found, stripped)}`;
  }
  return describeJsonc(found, stripped);
}

function structuralMessage(
  file: JsonFile,
  lexed: LexResult,
  root: JsoncNode | undefined,
  error: ParseError,
): PortholeError {
  const { stripped } = lexed;
  const code = printParseErrorCode(error.error);
  const at = error.offset;
  const atEnd = stripped.slice(at).trim() === '';
  const prev = previousToken(stripped, at);
  const prevChar = prev >= 0 ? stripped[prev] : undefined;
  const found = stripped[at];

  if ((code === 'PropertyNameExpected' || code === 'ValueExpected') && prevChar === ',' && (found === '}' || found === ']')) {
    const { line, column } = lineColumn(file, prev);
    return syntaxError(file, prev, `trailing comma before "${found}" (V2Ray does not allow it): remove the "," at line ${line} column ${column}`);
  }
  if (atEnd && (code === 'CloseBraceExpected' || code === 'CloseBracketExpected' || code === 'ValueExpected' || code === 'PropertyNameExpected' || code === 'ColonExpected' || code === 'CommaExpected')) {
    if (lexed.openComment !== undefined) {
      return syntaxError(file, lexed.openComment, 'unterminated /* comment: add */ to close it');
    }
    const opener = lexed.unclosed[lexed.unclosed.length - 1];
    if (opener !== undefined) {
      const open = stripped[opener] === '{' ? '{' : '[';
      const close = open === '{' ? '}' : ']';
      const { line, column } = lineColumn(file, opener);
      return syntaxError(file, at, `unexpected end of file: missing "${close}" to close the "${open}" at line ${line} column ${column}`);
    }
    return syntaxError(file, at, 'unexpected end of file');
  }
  switch (code) {
    case 'CommaExpected': {
      const end = prev + 1;
      if (found !== undefined && !/["\-0-9{[tfn]/.test(found)) {
        const close = innermostOpener(stripped, at) === '[' ? ']' : '}';
        return syntaxError(file, at, `expected "," or "${close}", found ${describeChar(found)}`);
      }
      const what = describeEndingValue(root, end, stripped) ?? (prevChar ? `"${prevChar}"` : 'the previous value');
      const { line, column } = lineColumn(file, end);
      const restOfLine = stripped.slice(end, stripped.indexOf('\n', end) === -1 ? undefined : stripped.indexOf('\n', end));
      const where = restOfLine.trim() === '' ? `at the end of line ${line}` : `at line ${line} column ${column}`;
      return syntaxError(file, end, `missing comma after ${what}? add "," ${where}`);
    }
    case 'ColonExpected': {
      const key = /"(?:[^"\\]|\\.)*"$/.exec(stripped.slice(0, prev + 1))?.[0];
      return syntaxError(file, at, key ? `expected ":" after the property name ${truncate(key)}` : `expected ":", found ${found ? describeChar(found) : 'nothing'}`);
    }
    case 'PropertyNameExpected':
      return syntaxError(file, at, `expected a property name in double quotes, found ${found ? describeChar(found) : 'nothing'}`);
    case 'ValueExpected':
      return syntaxError(file, at, `expected a value, found ${found ? describeChar(found) : 'nothing'}`);
    case 'CloseBraceExpected':
      return syntaxError(file, at, `expected "," or "}", found ${found ? describeChar(found) : 'nothing'}`);
    case 'CloseBracketExpected':
      return syntaxError(file, at, `expected "," or "]", found ${found ? describeChar(found) : 'nothing'}`);
    default:
      return syntaxError(file, at, `invalid JSON (${code})`);
  }
}

function convert(file: JsonFile, node: JsoncNode, path: string, stripped: string): JsonNode {
  const base = { file, offset: node.offset, length: node.length, path };
  switch (node.type) {
    case 'object': {
      const members: JsonMember[] = [];
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        members.push({ key, keyOffset: keyNode.offset, value: convert(file, valueNode, childPath(path, key), stripped) });
      }
      return { ...base, kind: 'object', members };
    }
    case 'array':
      return { ...base, kind: 'array', items: (node.children ?? []).map((child, index) => convert(file, child, childPath(path, index), stripped)) };
    case 'string':
      return { ...base, kind: 'string', value: String(node.value) };
    case 'number':
      return { ...base, kind: 'number', value: Number(node.value), raw: stripped.slice(node.offset, node.offset + node.length) };
    case 'boolean':
      return { ...base, kind: 'boolean', value: node.value === true };
    default:
      return { ...base, kind: 'null' };
  }
}

/** A syntax error not yet turned into a message, with the offset the parser or lexer saw. */
interface FoundError {
  readonly offset: number;
  readonly lexical: boolean;
  /** The line it is on, for "one error per line". */
  readonly line: number;
  build(): PortholeError;
}

/**
 * Every syntax error of a file, earliest first (a lexical error before a parser complaint at the
 * same offset, as Go's scanner would see it first), at most one per line.
 */
function syntaxErrors(file: JsonFile, lexed: LexResult, tree: JsoncNode | undefined, parseErrors: readonly ParseError[]): PortholeError[] {
  const limit = lexed.rootEnd ?? Infinity;
  const lexical = lexed.errors;
  const found: FoundError[] = lexical.map((error) => ({
    offset: error.offset, lexical: true, line: lineColumn(file, error.offset).line, build: () => syntaxError(file, error.offset, error.message),
  }));
  const structural = parseErrors.filter((error) => STRUCTURAL.has(printParseErrorCode(error.error)) && error.offset < limit
    // The parser tripping over a token the lexer already rejected.
    && !lexical.some((bad) => bad.offset <= error.offset && error.offset <= bad.end));
  for (const error of structural) {
    found.push({ offset: error.offset, lexical: false, line: lineColumn(file, error.offset).line, build: () => structuralMessage(file, lexed, tree, error) });
  }
  // Safety net: a jsonc-parser complaint that the lexer did not make.
  if (found.length === 0) {
    const other = parseErrors.find((error) => error.offset < limit);
    if (other || !tree) {
      const offset = other?.offset ?? 0;
      found.push({ offset, lexical: false, line: lineColumn(file, offset).line, build: () => syntaxError(file, offset, `invalid JSON (${other ? printParseErrorCode(other.error) : 'no value'})`) });
    }
  }
  found.sort((a, b) => a.offset - b.offset || Number(b.lexical) - Number(a.lexical));
  const lines = new Set<number>();
  const errors: PortholeError[] = [];
  for (const error of found) {
    if (lines.has(error.line)) continue;
    lines.add(error.line);
    errors.push(error.build());
  }
  return errors;
}

/** What `parseJsoncAll` finds: the parsed file when it has no syntax error, else every error. */
export type JsoncResult =
  | { readonly ok: true; readonly parsed: ParsedJson }
  | { readonly ok: false; readonly errors: readonly PortholeError[] };

/**
 * Parses one config file and reports every syntax error (at most one per line, earliest first);
 * the first is the one `parseJsonc` throws. Each error points at the place to fix: for a missing
 * comma that is where the comma goes, just after the previous value (`"tag": "out"|`), not the
 * start of the next key, because that is where the user types it; the message names the value
 * and the line. A trailing comma points at the comma itself.
 */
export function parseJsoncAll(name: string, text: string): JsoncResult {
  const file = createJsonFile(name, text);
  const lexed = lex(text);
  if (lexed.firstToken === undefined) {
    if (lexed.openComment !== undefined) return { ok: false, errors: [syntaxError(file, lexed.openComment, 'unterminated /* comment: add */ to close it')] };
    return { ok: false, errors: [syntaxError(file, 0, 'the file is empty (or holds only comments): a config is one JSON object such as {"inbounds": [...]}')] };
  }
  const parseErrors: ParseError[] = [];
  const tree = parseTree(lexed.stripped, parseErrors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const errors = syntaxErrors(file, lexed, tree, parseErrors);
  if (errors.length > 0 || !tree) return { ok: false, errors };

  const warnings: PortholeError[] = [];
  if (lexed.rootEnd !== undefined && lexed.stripped.slice(lexed.rootEnd).trim() !== '') {
    const offset = lexed.rootEnd + (lexed.stripped.slice(lexed.rootEnd).search(/\S/));
    const { line, column } = lineColumn(file, offset);
    warnings.push(new PortholeError('PH_CONFIG_SYNTAX', 'text after the end of the top-level value is ignored (as V2Ray does); is a "{" or "," missing?', {
      file: file.name, line, column, severity: 'warning',
    }));
  }
  return { ok: true, parsed: { file, root: convert(file, tree, '', lexed.stripped), warnings } };
}

/** Parses one config file. Throws `PH_CONFIG_SYNTAX` at the first error (see `parseJsoncAll`). */
export function parseJsonc(name: string, text: string): ParsedJson {
  const result = parseJsoncAll(name, text);
  if (!result.ok) throw result.errors[0] ?? new PortholeError('PH_CONFIG_SYNTAX', 'invalid JSON', { file: name });
  return result.parsed;
}

/**
 * `text` with its comments (V2Ray's `//`, `/* *\/` and `#`) blanked out: same length, newlines
 * kept, so an offset into one is an offset into the other.
 */
export function stripComments(text: string): string {
  return lex(text).stripped;
}
