/**
 * `validateConfig`: every error at once, for the editor (issue 4/7), while `loadConfig` still
 * stops at the first for the CLI.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../common/errors.js';
import { loadConfig, validateConfig } from './index.js';

function errorLines(text: string): string[] {
  return validateConfig([{ name: 'c.json', text }], { env: {} }).errors.map(formatErrorLine);
}

function loadError(text: string): string {
  try {
    loadConfig([{ name: 'c.json', text }], { env: {} });
  } catch (error) {
    return formatErrorLine(error);
  }
  return 'loaded';
}

const THREE_MISTAKES = `{
  // three independent mistakes: each is reported where it is
  "inbounds": [
    {"port": "abc", "protocol": "dokodemo-door", "settings": {"address": "127.0.0.1", "port": 80}}
  ],
  "outbounds": [
    {"protocol": "freedom", "tag": "out"},
    {"protocol": "socks", "tag": "proxy"}
  ],
  "routing": {"rules": [
    {"type": "field", "port": "99999", "outboundTag": "out"}
  ]}
}`;

describe('validateConfig reports every error', () => {
  it('finds three independent mistakes, each at its line:column, in text order', () => {
    const lines = errorLines(THREE_MISTAKES);
    expect(lines.map((line) => line.split(': ')[0])).toEqual(['c.json:4:14', 'c.json:8:18', 'c.json:11:31']);
    expect(lines).toHaveLength(3);
  });

  it('leaves loadConfig as it was: it throws the first of them', () => {
    expect(loadError(THREE_MISTAKES)).toBe(errorLines(THREE_MISTAKES)[0]);
  });

  it('orders by place, not by the order the sections are checked in', () => {
    // Routing is written first here but checked after the outbounds.
    const text = `{
  "routing": {"rules": [{"type": "field", "port": "1-2-3", "outboundTag": "out"}]},
  "outbounds": [{"protocol": "freedom", "tag": "out", "settings": {"domainStrategy": 7}}]
}`;
    expect(errorLines(text).map((line) => line.split(': ')[0])).toEqual(['c.json:2:51', 'c.json:3:86']);
  });

  it('reports every syntax error, one per line, and no semantic error until they are fixed', () => {
    const text = `{
  "log": {"loglevel": "warning"}
  "inbounds": [],
  "outbounds": [{'protocol': "socks"}],
  "routing": {"rules": [],},
  "policy": {"levels": {"0": {"handshake": 01}}}
}`;
    expect(errorLines(text)).toEqual([
      'c.json:2:33: missing comma after "log": {…}? add "," at the end of line 2',
      'c.json:4:18: strings need double quotes, not single quotes (V2Ray rejects \'...\')',
      'c.json:5:26: trailing comma before "}" (V2Ray does not allow it): remove the "," at line 5 column 26',
      'c.json:6:44: invalid number 01 (leading zeros are not allowed)',
    ]);
  });

  it('reports each cross-check mistake', () => {
    const text = `{
  "outbounds": [{"protocol": "freedom", "tag": "out"}, {"protocol": "blackhole", "tag": "out"}],
  "routing": {"rules": [
    {"type": "field", "port": 80, "outboundTag": "direct"},
    {"type": "field", "port": 81, "outboundTag": "blocked"}
  ]}
}`;
    expect(errorLines(text).map((line) => line.split(': ')[0])).toEqual(['c.json:2:89', 'c.json:4:50', 'c.json:5:50']);
  });

  it('does not blame a rule for naming an outbound that is there but has its own mistake', () => {
    const text = '{"outbounds": [{"protocol": "freedom", "tag": "out", "settings": {"redirect": "nowhere"}}], "routing": {"rules": [{"type": "field", "port": 80, "outboundTag": "out"}]}}';
    expect(errorLines(text)).toHaveLength(1);
  });

  it('reports each reverse entry', () => {
    const text = '{"reverse": {"bridges": [{"tag": "", "domain": "a.example"}, {"tag": "b", "domain": ""}]}}';
    expect(errorLines(text).map((line) => line.split(': ').slice(0, 2).join(': '))).toEqual(['c.json:1:34: reverse.bridges[0].tag', 'c.json:1:85: reverse.bridges[1].domain']);
  });

  it('gives the loaded config, with its warnings, when there is no error', () => {
    const text = '{"outbounds": [{"protocol": "freedom", "tag": "out", "oops": 1}]}';
    const result = validateConfig([{ name: 'c.json', text }], { env: {} });
    expect({ errors: result.errors, warnings: result.warnings.map(formatErrorLine), config: result.config })
      .toEqual({ errors: [], warnings: ['c.json:1:54: outbounds[0].oops: unknown key "oops" is ignored'], config: loadConfig([{ name: 'c.json', text }], { env: {} }) });
  });
});

describe('validateConfig agrees with loadConfig', () => {
  const fixture = readFileSync(new URL('./fixtures/everything.json', import.meta.url), 'utf8');
  // The fixture with one character cut out, at 400 places spread over it: syntax, type, value and cross-check mistakes.
  const cuts = Array.from({ length: 400 }, (_, index) => Math.floor((index * fixture.length) / 400));

  it('fails exactly when loadConfig throws, and lists the error loadConfig throws', () => {
    const disagreements = cuts.flatMap((at) => {
      const text = fixture.slice(0, at) + fixture.slice(at + 1);
      const thrown = loadError(text);
      const listed = errorLines(text);
      const agrees = thrown === 'loaded' ? listed.length === 0 : listed.includes(thrown);
      return agrees ? [] : [{ at, thrown, listed }];
    });
    expect(disagreements).toEqual([]);
  });
});
