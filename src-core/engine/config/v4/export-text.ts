/**
 * A config's own text made V2Ray-runnable: Porthole-only members are cut out of the text, and
 * everything else (comments, blank lines, key order, spelling) stays as the user wrote it. The
 * typed export (`export.ts`) rebuilds the JSON instead and loses all of that.
 *
 * The cuts are computed here rather than with jsonc-parser's `modify`: `modify` does not know
 * V2Ray's `#` comments, and its removal runs from the end of the previous member, taking any
 * comment after that member's comma with it. A member is cut with its comma; when it stands on
 * lines of its own, those whole lines go, with the `//` or `#` comment lines just above it
 * (they describe it) and the comment at the end of its last line.
 */
import { applyEdits, type Edit } from 'jsonc-parser';
import { foldKey } from './decode.js';
import type { JsonMember, JsonNode } from './jsonc.js';
import { parseJsonc, stripComments } from './jsonc.js';

/**
 * Members V2Ray does not know, as key paths (matched as Go matches keys: any case); `*` is each
 * item of a list. V2Ray would ignore them, but an exported file should not carry settings that
 * do nothing there.
 */
export const PORTHOLE_ONLY_MEMBERS: readonly (readonly string[])[] = [
  ['reverse', 'portals', '*', 'exposures'],
  ['inbounds', '*', 'streamSettings', 'tlsSettings', 'acme'],
];

/** The first member at `path` under `node`, or undefined. */
function findMember(node: JsonNode, path: readonly string[]): JsonMember | undefined {
  const [segment, ...rest] = path;
  if (segment === undefined) return undefined;
  const children: JsonNode[] = [];
  if (segment === '*') {
    if (node.kind === 'array') children.push(...node.items);
  } else if (node.kind === 'object') {
    for (const member of node.members) {
      if (foldKey(member.key) !== foldKey(segment)) continue;
      if (rest.length === 0) return member;
      children.push(member.value);
    }
  }
  for (const child of children) {
    const found = rest.length === 0 ? undefined : findMember(child, rest);
    if (found) return found;
  }
  return undefined;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end;
}

const isBlank = (text: string): boolean => text.trim() === '';

/** A line that is one line comment and nothing else (not the tail of a block comment). */
function isLineComment(line: string): boolean {
  const trimmed = line.trim();
  return (trimmed.startsWith('//') || trimmed.startsWith('#')) && !trimmed.includes('*/');
}

/** The edits that cut `member` (and one comma) out of `text`; `stripped` is `text` without comments. */
function removalEdits(text: string, stripped: string, member: JsonMember): Edit[] {
  const keyStart = member.keyOffset;
  const valueEnd = member.value.offset + member.value.length;
  const next = valueEnd + stripped.slice(valueEnd).search(/\S|$/);
  const commaAfter = stripped[next] === ',' ? next : undefined;
  let end = commaAfter === undefined ? valueEnd : commaAfter + 1;
  // The rest of the last line: nothing, or only a comment that does not go on to the next line.
  const rest = text.slice(end, lineEnd(text, end));
  const restIsComment = isBlank(stripped.slice(end, lineEnd(text, end))) && !(rest.includes('/*') && !rest.includes('*/'));
  const wholeLines = isBlank(stripped.slice(lineStart(text, keyStart), keyStart)) && restIsComment;

  let start = keyStart;
  if (wholeLines) {
    start = lineStart(text, keyStart);
    while (start > 0) {
      const above = lineStart(text, start - 1);
      if (!isLineComment(text.slice(above, start - 1))) break;
      start = above;
    }
    end = Math.min(text.length, lineEnd(text, end) + 1);
  } else {
    while (text[end] === ' ' || text[end] === '\t') end += 1;
  }
  if (commaAfter !== undefined) return [{ offset: start, length: end - start, content: '' }];
  // The last member: the comma before it goes instead, with the spaces up to the member when
  // nothing else is between them.
  let previous = keyStart - 1;
  while (previous >= 0 && /\s/.test(stripped[previous] as string)) previous -= 1;
  if (stripped[previous] !== ',') return [{ offset: start, length: end - start, content: '' }];
  if (!wholeLines && /^,[ \t]*$/.test(text.slice(previous, start))) return [{ offset: previous, length: end - previous, content: '' }];
  return [{ offset: previous, length: 1, content: '' }, { offset: start, length: end - start, content: '' }];
}

/**
 * `text` (one config file that loads) without its Porthole-only members. Throws the file's first
 * syntax error if it has one.
 */
export function exportConfigText(name: string, text: string): string {
  let current = text;
  for (;;) {
    const { root } = parseJsonc(name, current);
    const member = PORTHOLE_ONLY_MEMBERS.map((path) => findMember(root, path)).find((found) => found !== undefined);
    if (!member) return current;
    current = applyEdits(current, removalEdits(current, stripComments(current), member));
  }
}
