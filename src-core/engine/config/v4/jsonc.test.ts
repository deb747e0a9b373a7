import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import type { JsonNode } from './jsonc.js';
import { lineColumn, createJsonFile, parseJsonc } from './jsonc.js';

/** A JsonNode as plain JSON, to compare parsed trees in one deep-equal. */
function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': return Object.fromEntries(node.members.map((m) => [m.key, plain(m.value)]));
    case 'array': return node.items.map(plain);
    case 'null': return null;
    default: return node.value;
  }
}

function syntaxLine(text: string): string {
  try {
    parseJsonc('c.json', text);
  } catch (error) {
    return formatErrorLine(error);
  }
  return 'accepted';
}

const DOC_OUTBOUND_SNIPPET = readFileSync(new URL('../fixtures/invalid-doc-outbound-missing-comma.json', import.meta.url), 'utf8');

describe('parseJsonc accepts what V2Ray accepts', () => {
  it.each([
    ['// and /* */ comments', '{\n  // line\n  "a": /* inline */ 1\n}', { a: 1 }],
    ['# comments', '{ # hash\n  "a": "x#y" # after\n}', { a: 'x#y' }],
    ['comment markers inside strings', '{"a": "// not a comment", "b": "/* nor this */"}', { a: '// not a comment', b: '/* nor this */' }],
    ['V2Ray\'s block-comment quirk: "*", newline, "/" closes it', '{"a": 1 /* x *\n/ }', { a: 1 }],
    ['duplicate keys kept in order', '{"a": 1, "a": 2}', { a: 2 }],
    ['escapes', '{"a": "\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"}', { a: '"\\/\b\f\n\r\té' }],
    ['numbers', '{"a": [0, -1, 1.5, 1e3, 1E+2, -0.5e-1]}', { a: [0, -1, 1.5, 1000, 100, -0.05] }],
    ['null top level', 'null', null],
    ['CRLF line ends', '{\r\n  "a": 1\r\n}\r\n', { a: 1 }],
  ])('%s', (_name, text, expected) => {
    expect(plain(parseJsonc('c.json', text).root)).toEqual(expected);
  });

  it('ignores text after the top-level value, as Go\'s json.Decoder does, with a warning', () => {
    const parsed = parseJsonc('c.json', '{"a": 1}\n{"b": 2}');
    expect(plain(parsed.root)).toEqual({ a: 1 });
    expect(parsed.warnings.map(formatErrorLine)).toEqual([
      'c.json:2:1: text after the end of the top-level value is ignored (as V2Ray does); is a "{" or "," missing?',
    ]);
  });

  it('keeps offsets of the original text, so paths and places are right', () => {
    const parsed = parseJsonc('c.json', '{ # c\n  "Inbounds": [ /* x */ {"port": 1} ]\n}');
    const root = parsed.root;
    if (root.kind !== 'object') throw new Error('object expected');
    const inbounds = root.members[0]?.value;
    if (inbounds?.kind !== 'array') throw new Error('array expected');
    const port = inbounds.items[0]?.kind === 'object' ? inbounds.items[0].members[0]?.value : undefined;
    expect(port && { path: port.path, ...lineColumn(port.file, port.offset) }).toEqual({ path: 'Inbounds[0].port', line: 2, column: 34 });
  });
});

describe('parseJsonc rejects what V2Ray rejects, pointing at the place to fix', () => {
  it.each([
    ['V2Ray doc\'s outbound snippet, missing comma after "tag": "out"', DOC_OUTBOUND_SNIPPET,
      'c.json:2:15: missing comma after "tag": "out"? add "," at the end of line 2'],
    ['the same snippet inside "outbounds"', `{"outbounds": [\n${DOC_OUTBOUND_SNIPPET}]}`,
      'c.json:3:15: missing comma after "tag": "out"? add "," at the end of line 3'],
    ['missing comma on one line', '{"a": 1 "b": 2}', 'c.json:1:8: missing comma after "a": 1? add "," at line 1 column 8'],
    ['missing comma after an object', '[{"a": 1}\n{"b": 2}]', 'c.json:1:10: missing comma after {…}? add "," at the end of line 1'],
    ['trailing comma in an object', '{"log": {"loglevel": "debug",}}',
      'c.json:1:29: trailing comma before "}" (V2Ray does not allow it): remove the "," at line 1 column 29'],
    ['trailing comma in a list', '{"inbounds": [\n  {},\n]}',
      'c.json:2:5: trailing comma before "]" (V2Ray does not allow it): remove the "," at line 2 column 5'],
    ['missing colon', '{"log": {"loglevel" "debug"}}', 'c.json:1:21: expected ":" after the property name "loglevel"'],
    ['wrong closing bracket', '{"a": [1, 2}}', 'c.json:1:12: expected "," or "]", found "}"'],
    ['unclosed object', '{"log": {}', 'c.json:1:11: unexpected end of file: missing "}" to close the "{" at line 1 column 1'],
    ['unclosed comment', '{"log": /* x', 'c.json:1:9: unterminated /* comment: add */ to close it'],
    ['empty file', '', 'c.json:1:1: the file is empty (or holds only comments): a config is one JSON object such as {"inbounds": [...]}'],
    ['only comments', '// nothing\n# here\n', 'c.json:1:1: the file is empty (or holds only comments): a config is one JSON object such as {"inbounds": [...]}'],
    ['single quotes', "{'log': {}}", 'c.json:1:2: strings need double quotes, not single quotes (V2Ray rejects \'...\')'],
    ['leading zero', '{"a": 01}', 'c.json:1:7: invalid number 01 (leading zeros are not allowed)'],
    ['plus sign', '{"a": +1}', 'c.json:1:7: invalid number +1 (a leading "+" is not allowed)'],
    ['bare dot', '{"a": 1.}', 'c.json:1:7: invalid number 1. (write digits on both sides of ".")'],
    ['hex', '{"a": 0x10}', 'c.json:1:7: invalid number 0x10 (hexadecimal is not allowed)'],
    ['bad word', '{"a": tru}', 'c.json:1:7: unexpected word tru: strings need double quotes, and the only literals are true, false and null'],
    ['tab in a string', '{"a": "x\ty"}', 'c.json:1:9: control character U+0009 (tab) inside a string: write it as an escape such as \\t'],
    ['newline in a string', '{"a": "x\ny"}', 'c.json:1:7: unterminated string: a string cannot span lines (close it with ")'],
    ['bad escape', '{"a": "\\x"}', 'c.json:1:8: invalid escape "\\x" in string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)'],
    ['short \\u escape', '{"a": "\\u12"}', 'c.json:1:8: invalid \\u escape in string: expected 4 hex digits after "\\u"'],
    ['byte-order mark', '\ufeff{}', 'c.json:1:1: the file starts with a byte-order mark (BOM), which V2Ray rejects: save it as UTF-8 without BOM'],
    ['no-break space', '{\u00a0}', 'c.json:1:2: unexpected character U+00A0 (no-break space)'],
    ['vertical tab', '{\v}', 'c.json:1:2: unexpected character U+000B (vertical tab)'],
    ['CRLF positions', '{\r\n  "a": 1\r\n  "b": 2\r\n}', 'c.json:2:9: missing comma after "a": 1? add "," at the end of line 2'],
  ])('%s', (_name, text, expected) => {
    expect(syntaxLine(text)).toBe(expected);
  });

  it('reports every syntax error with code PH_CONFIG_SYNTAX', () => {
    expect(() => parseJsonc('c.json', '{,}')).toThrow(expect.objectContaining({ code: 'PH_CONFIG_SYNTAX' }));
  });
});

describe('lineColumn', () => {
  it('is 1-based and counts UTF-16 units', () => {
    const file = createJsonFile('x', 'ab\ncdé\nf');
    expect([0, 2, 3, 5, 7, 8].map((offset) => lineColumn(file, offset))).toEqual([
      { line: 1, column: 1 }, { line: 1, column: 3 }, { line: 2, column: 1 }, { line: 2, column: 3 }, { line: 3, column: 1 }, { line: 3, column: 2 },
    ]);
  });
});
