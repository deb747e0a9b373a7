import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../common/errors.js';
import type { PortholeConfig } from './index.js';
import {
  DEFAULT_LEVEL_POLICY, cidrContains, compileDomainMatcher, exportV2RayConfig, loadConfig, loadConfigFiles, originOf, policyForLevel,
  resolveVmessSecurity, warningsOf,
} from './index.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const FIXTURES = new URL('./fixtures/', import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

function load(text: string, env: Record<string, string> = {}): PortholeConfig {
  return loadConfig([{ name: 'c.json', text }], { env });
}

/** The one-line error `loadConfig` throws, with its code. */
function errorOf(sources: { name: string; text: string }[] | string): string {
  try {
    loadConfig(typeof sources === 'string' ? [{ name: 'c.json', text: sources }] : sources, { env: {} });
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error)}`;
  }
  return 'accepted';
}

function config(partial: Partial<PortholeConfig>): PortholeConfig {
  return {
    log: { access: { type: 'none' }, error: { type: 'console' }, level: 'warning' },
    inbounds: [],
    outbounds: [],
    routing: { domainStrategy: 'AsIs', rules: [] },
    reverse: { bridges: [], portals: [] },
    ...partial,
  };
}

const FREEDOM_OUT = '{"protocol": "freedom", "tag": "out"}';
const FREEDOM_OUT_TYPED = {
  tag: 'out', protocol: 'freedom', settings: { domainStrategy: 'AsIs', timeout: 0, userLevel: 0 },
} as const;

describe('loadConfig builds typed config (JSON in → typed out)', () => {
  it.each<[string, string, PortholeConfig, Record<string, string>?]>([
    ['an empty object', '{}', config({})],
    ['null', 'null', config({})],
    ['the bridge fixture (V2Ray doc snippets)', fixture('bridge.json'), config({
      outbounds: [
        { tag: 'out', protocol: 'freedom', settings: { domainStrategy: 'AsIs', redirect: { address: '127.0.0.1', port: 80 }, timeout: 0, userLevel: 0 } },
        {
          tag: 'interconn', protocol: 'vmess',
          settings: { vnext: [{ address: '127.0.0.1', port: 1024, users: [{ id: UUID, alterId: 0, level: 0, security: 'auto' }] }] },
        },
      ],
      routing: {
        domainStrategy: 'AsIs',
        rules: [
          { outboundTag: 'interconn', domain: [{ kind: 'full', value: 'test.v2ray.com' }], inboundTag: ['bridge'] },
          { outboundTag: 'out', inboundTag: ['bridge'] },
        ],
      },
      reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }], portals: [] },
    })],
    ['the portal fixture (V2Ray doc snippets)', fixture('portal.json'), config({
      inbounds: [
        {
          tag: 'external', listen: '0.0.0.0', port: { from: 80, to: 80 }, protocol: 'dokodemo-door',
          settings: { address: '127.0.0.1', port: 80, network: ['tcp'], timeout: 0, userLevel: 0 },
        },
        {
          tag: 'interconn', listen: '0.0.0.0', port: { from: 1024, to: 1024 }, protocol: 'vmess',
          settings: { clients: [{ id: UUID, alterId: 0, level: 0, security: 'auto' }], disableInsecureEncryption: false },
        },
      ],
      routing: {
        domainStrategy: 'AsIs',
        rules: [{ outboundTag: 'portal', inboundTag: ['external'] }, { outboundTag: 'portal', inboundTag: ['interconn'] }],
      },
      reverse: { bridges: [], portals: [{ tag: 'portal', domain: 'test.v2ray.com' }] },
    })],
    ['case-insensitive keys and protocol names, # comments, last duplicate wins', `{
      # Go's encoding/json matches keys in any case
      "INBOUNDS": [{"Port": "1000-2000", "Protocol": "Dokodemo-Door", "TAG": "a", "tag": "b",
                    "Settings": {"Address": "::ffff:10.0.0.1", "Network": "TCP,udp"}}]
    }`, config({
      inbounds: [{
        tag: 'b', listen: '0.0.0.0', port: { from: 1000, to: 2000 }, protocol: 'dokodemo-door',
        settings: { address: '10.0.0.1', port: 0, network: ['tcp', 'udp'], timeout: 0, userLevel: 0 },
      }],
    })],
    ['dokodemo: env port, listen, IPv6 address, untrimmed network entry dropped', `{"inbounds": [{
      "port": "env:DOOR_PORT", "listen": "::1", "protocol": "dokodemo-door",
      "settings": {"address": "2001:DB8::1", "port": 8080, "network": "tcp, udp", "timeout": 30, "userLevel": 2}}]}`, config({
      inbounds: [{
        listen: '::1', port: { from: 9000, to: 9000 }, protocol: 'dokodemo-door',
        settings: { address: '2001:db8::1', port: 8080, network: ['tcp'], timeout: 30, userLevel: 2 },
      }],
    }), { DOOR_PORT: '9000' }],
    ['vmess inbound: lenient UUIDs, defaults, emails, unknown security → auto', `{"inbounds": [{
      "port": 1024, "listen": "localhost", "protocol": "vmess", "tag": "in",
      "settings": {
        "clients": [
          {"id": "278487397E6241389FD3098A63964B6Bxyz", "alterId": 4, "level": 1, "email": "A@example.com", "security": "aes-128-cfb"},
          {"id": "${UUID}", "security": "None"}
        ],
        "default": {"alterId": 2, "level": 3},
        "disableInsecureEncryption": true}}]}`, config({
      inbounds: [{
        tag: 'in', listen: 'localhost', port: { from: 1024, to: 1024 }, protocol: 'vmess',
        settings: {
          clients: [
            { id: UUID, alterId: 4, level: 1, email: 'A@example.com', security: 'auto' },
            { id: UUID, alterId: 0, level: 0, security: 'none' },
          ],
          default: { alterId: 2, level: 3 },
          disableInsecureEncryption: true,
        },
      }],
    })],
    ['freedom variants', `{"outbounds": [
      {"protocol": "freedom", "settings": {"redirect": ":80", "domainStrategy": "use_ipv4", "timeout": 10, "userLevel": 1}},
      {"protocol": "freedom", "settings": {"redirect": "[::1]:8080", "domainStrategy": "UseIP"}},
      {"protocol": "freedom", "settings": {"redirect": "0.0.0.0:53", "domainStrategy": "bogus"}},
      {"protocol": "freedom", "sendThrough": "192.168.1.2", "settings": {"redirect": "example.com:0"}}
    ]}`, config({
      outbounds: [
        { protocol: 'freedom', settings: { domainStrategy: 'UseIPv4', redirect: { port: 80 }, timeout: 10, userLevel: 1 } },
        { protocol: 'freedom', settings: { domainStrategy: 'UseIP', redirect: { address: '::1', port: 8080 }, timeout: 0, userLevel: 0 } },
        { protocol: 'freedom', settings: { domainStrategy: 'AsIs', redirect: { port: 53 }, timeout: 0, userLevel: 0 } },
        { protocol: 'freedom', sendThrough: '192.168.1.2', settings: { domainStrategy: 'AsIs', redirect: { address: 'example.com', port: 0 }, timeout: 0, userLevel: 0 } },
      ],
    })],
    ['vmess outbound and mux: 0 → 8, negative → off', `{"outbounds": [
      {"protocol": "VMess", "tag": "v", "mux": {"enabled": true},
       "settings": {"vnext": [{"address": "[2001:db8::2]", "port": 443,
         "users": [{"id": "${UUID}", "security": "CHACHA20-POLY1305", "level": 5, "email": "me"}]}]}},
      {"protocol": "blackhole", "mux": {"enabled": true, "concurrency": -1}, "settings": {"response": {"type": "HTTP"}}},
      {"protocol": "blackhole", "mux": {"concurrency": 1024}}
    ]}`, config({
      outbounds: [
        {
          tag: 'v', protocol: 'vmess', mux: { enabled: true, concurrency: 8 },
          settings: { vnext: [{ address: '2001:db8::2', port: 443, users: [{ id: UUID, alterId: 0, level: 5, email: 'me', security: 'chacha20-poly1305' }] }] },
        },
        { protocol: 'blackhole', settings: { response: 'http' } },
        { protocol: 'blackhole', mux: { enabled: false, concurrency: 1024 }, settings: { response: 'none' } },
      ],
    })],
    ['routing conditions', `{"outbounds": [${FREEDOM_OUT}], "routing": {"domainStrategy": "ip_if_non_match", "rules": [
      {"type": "Field", "outboundTag": "out",
       "domain": ["full:a.com", "domain:b.com", "regexp:^c\\\\.", "keyword:d", "dotless:", "e"], "domains": "f,g",
       "ip": ["10.1.2.3/8", "1.2.3.4", "2001:DB8::1/32", "1.2.3.4/"],
       "port": "80, 443,1000-2000", "sourcePort": 53, "network": ["TCP", "udp"],
       "source": "192.168.0.0/16", "user": ["a@b", ""], "inboundTag": "x,y"},
      {"type": "field", "outboundTag": "out", "port": ""},
      {"type": "field", "outboundTag": "out", "network": "tcp udp"}
    ], "settings": {"rules": [{"type": "field", "outboundTag": "out", "port": "0"}]}}}`, config({
      outbounds: [FREEDOM_OUT_TYPED],
      routing: {
        domainStrategy: 'IPIfNonMatch',
        rules: [
          {
            outboundTag: 'out',
            domain: [
              { kind: 'full', value: 'a.com' }, { kind: 'domain', value: 'b.com' }, { kind: 'regexp', value: '^c\\.' },
              { kind: 'keyword', value: 'd' }, { kind: 'dotless', value: '' }, { kind: 'keyword', value: 'e' },
              { kind: 'keyword', value: 'f' }, { kind: 'keyword', value: 'g' },
            ],
            ip: [{ address: '10.0.0.0', prefix: 8 }, { address: '1.2.3.4', prefix: 32 }, { address: '2001:db8::', prefix: 32 }, { address: '1.2.3.4', prefix: 32 }],
            port: [{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 1000, to: 2000 }],
            network: ['tcp', 'udp'],
            source: [{ address: '192.168.0.0', prefix: 16 }],
            sourcePort: [{ from: 53, to: 53 }],
            user: ['a@b'],
            inboundTag: ['x', 'y'],
          },
          { outboundTag: 'out', port: [] },
          { outboundTag: 'out', network: [] },
          { outboundTag: 'out', port: [{ from: 0, to: 0 }] },
        ],
      },
    })],
    ['log variants', '{"log": {"access": "/var/log/a.log", "error": "none", "loglevel": "DEBUG"}}', config({
      log: { access: { type: 'file', path: '/var/log/a.log' }, error: { type: 'none' }, level: 'debug' },
    })],
    ['a log section with empty paths logs to the console', '{"log": {}}', config({
      log: { access: { type: 'console' }, error: { type: 'console' }, level: 'warning' },
    })],
    ['loglevel none turns both logs off', '{"log": {"access": "a.log", "loglevel": "none"}}', config({
      log: { access: { type: 'none' }, error: { type: 'none' }, level: 'none' },
    })],
    ['policy', `{"policy": {"levels": {"0": {"handshake": 4, "connIdle": 120, "bufferSize": 10},
                                       "1": {"uplinkOnly": 0, "statsUserUplink": true, "bufferSize": -5}, "2": null},
                            "system": {"statsOutboundDownlink": true}}}`, config({
      policy: {
        levels: {
          0: { handshake: 4, connIdle: 120, statsUserUplink: false, statsUserDownlink: false, bufferBytes: 10240 },
          1: { uplinkOnly: 0, statsUserUplink: true, statsUserDownlink: false, bufferBytes: -1 },
        },
        system: { statsInboundUplink: false, statsInboundDownlink: false, statsOutboundUplink: false, statsOutboundDownlink: true },
      },
    })],
  ])('%s', (_name, text, expected, env) => {
    expect(load(text, env)).toStrictEqual(expected);
  });
});

describe('loadConfig warns about what V2Ray silently accepts', () => {
  it('collects warnings with their place', () => {
    const loaded = load(`{
  "inbounds": [{"port": 1, "protocol": "dokodemo-door", "settings": {"network": "tcp, udp"}, "sniffing": {"enabled": true}}],
  "outbounds": [{"protocol": "freedom", "tag": "out", "settings": {"domainStrategy": "useipv5"}, "colour": "red"}],
  "routing": {"rules": [{"type": "field", "inboundTag": ["nope"], "port": "", "outboundTag": "out"}]},
  "dns": {"servers": ["8.8.8.8"]}
} trailing`);
    expect(warningsOf(loaded).map(formatErrorLine)).toEqual([
      'c.json:6:3: text after the end of the top-level value is ignored (as V2Ray does); is a "{" or "," missing?',
      'c.json:5:10: dns: the "dns" section is ignored: Porthole resolves names with the operating system',
      'c.json:2:106: inbounds[0].sniffing: sniffing is ignored: Porthole does not sniff (routing sees the original destination)',
      'c.json:2:81: inbounds[0].settings.network: " udp" is not a network V2Ray knows (it does not trim spaces), so it is ignored; use "tcp", "udp" or "tcp,udp"',
      'c.json:3:98: outbounds[0].colour: unknown key "colour" is ignored',
      'c.json:3:86: outbounds[0].settings.domainStrategy: unknown domainStrategy "useipv5" means "AsIs" (use AsIs, UseIP, UseIPv4 or UseIPv6)',
      'c.json:4:75: routing.rules[0].port: port lists nothing, so this rule never matches (V2Ray accepts it)',
      'c.json:4:57: routing.rules[0].inboundTag: inboundTag "nope" names no inbound or bridge, so it never matches',
    ]);
    expect(warningsOf(loaded).every((w) => w.severity === 'warning')).toBe(true);
  });
});

describe('loadConfig rejects with one line: file:line:column: path: message', () => {
  const VMESS_IN = (id: string): string => `{"port": 1024, "protocol": "vmess", "settings": {"clients": [{"id": "${id}"}]}}`;
  it.each<[string, string]>([
    // syntax (details in v4/jsonc.test.ts)
    [fixture('invalid-doc-outbound-missing-comma.json'), 'PH_CONFIG_SYNTAX c.json:2:15: missing comma after "tag": "out"? add "," at the end of line 2'],
    ['{"log": {"loglevel": "debug",}}', 'PH_CONFIG_SYNTAX c.json:1:29: trailing comma before "}" (V2Ray does not allow it): remove the "," at line 1 column 29'],
    ['[]', 'PH_CONFIG_TYPE c.json:1:1: the top level of a config must be an object such as {"inbounds": [...], "outbounds": [...]}, got a list'],
    // types
    ['{"inbounds": [{"port": "abc", "protocol": "vmess"}]}', 'PH_CONFIG_TYPE c.json:1:24: inbounds[0].port: expected a port number or range, got "abc"'],
    ['{"inbounds": [{"port": true, "protocol": "vmess"}]}', 'PH_CONFIG_TYPE c.json:1:24: inbounds[0].port: expected a port number or range, got true'],
    ['{"inbounds": {}}', 'PH_CONFIG_TYPE c.json:1:14: inbounds: expected a list of inbounds, got an object'],
    ['{"log": {"loglevel": 3}}', 'PH_CONFIG_TYPE c.json:1:22: log.loglevel: expected a string, got 3'],
    ['{"outbounds": [{"protocol": "freedom", "settings": {"userLevel": 1.0}}]}', 'PH_CONFIG_TYPE c.json:1:66: outbounds[0].settings.userLevel: expected an integer from 0 to 4294967295, got 1.0'],
    ['{"outbounds": [{"protocol": "freedom", "mux": {"concurrency": 40000}}]}', 'PH_CONFIG_TYPE c.json:1:63: outbounds[0].mux.concurrency: expected an integer from -32768 to 32767, got 40000'],
    ['{"inbounds": [{"port": 1, "protocol": "dokodemo-door", "settings": {"port": 70000}}]}', 'PH_CONFIG_TYPE c.json:1:77: inbounds[0].settings.port: expected an integer from 0 to 65535, got 70000'],
    ['{"policy": {"levels": {"x": {}}}}', 'PH_CONFIG_TYPE c.json:1:24: policy.levels.x: invalid level "x": levels are integers from 0 to 4294967295'],
    // protocols
    ['{"inbounds": [{"port": 1, "protocol": "vmesss"}]}', 'PH_CONFIG_UNKNOWN_PROTOCOL c.json:1:39: inbounds[0].protocol: unknown protocol "vmesss" (did you mean "vmess"?)'],
    ['{"outbounds": [{"protocol": "freedon"}]}', 'PH_CONFIG_UNKNOWN_PROTOCOL c.json:1:29: outbounds[0].protocol: unknown protocol "freedon" (did you mean "freedom"?)'],
    ['{"inbounds": [{"port": 1, "protocol": "Shadowsocks"}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:39: inbounds[0].protocol: protocol "shadowsocks" is not supported by Porthole yet (inbound protocols: "dokodemo-door", "vmess", "vless", "socks", "http")'],
    ['{"outbounds": [{"protocol": "dns"}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:29: outbounds[0].protocol: protocol "dns" is not supported by Porthole yet (outbound protocols: "freedom", "vmess", "blackhole", "vless")'],
    ['{"inbounds": [{"port": 1}]}', 'PH_CONFIG_UNKNOWN_PROTOCOL c.json:1:15: inbounds[0].protocol: missing "protocol": Porthole supports inbound protocols "dokodemo-door", "vmess", "vless", "socks", "http"'],
    // values
    [`{"inbounds": [${VMESS_IN(UUID)}, ${VMESS_IN('nope')}]}`, 'PH_CONFIG_VALUE c.json:1:195: inbounds[1].settings.clients[0].id: invalid UUID "nope": expected 32 hex digits, optionally as 8-4-4-4-12 groups separated by "-"'],
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "settings": {"clients": [{}]}}]}', 'PH_CONFIG_VALUE c.json:1:73: inbounds[0].settings.clients[0].id: missing "id": invalid UUID "": expected 32 hex digits, optionally as 8-4-4-4-12 groups separated by "-"'],
    [`{"inbounds": [{"port": 1, "protocol": "vmess", "settings": {"clients": [{"id": "${UUID}", "email": "a@b"}, {"id": "${UUID}", "email": "A@B"}]}}]}`,
      'PH_CONFIG_VALUE c.json:1:137: inbounds[0].settings.clients[1]: user "A@B" already exists (clients[0]): emails must be unique, ignoring case'],
    ['{"inbounds": [{"port": "2000-1000", "protocol": "vmess"}]}', 'PH_CONFIG_VALUE c.json:1:24: inbounds[0].port: invalid port range 2000 -> 1000: the first port must not be greater'],
    ['{"inbounds": [{"protocol": "vmess"}]}', 'PH_CONFIG_VALUE c.json:1:15: inbounds[0].port: missing "port": an inbound needs a port to listen on'],
    ['{"inbounds": [{"port": 1, "listen": "example.com", "protocol": "vmess"}]}', 'PH_CONFIG_VALUE c.json:1:37: inbounds[0].listen: unable to listen on domain address "example.com": use an IP address'],
    ['{"inbounds": [{"port": 1, "protocol": "dokodemo-door", "settings": {"network": []}}]}', 'PH_CONFIG_VALUE c.json:1:80: inbounds[0].settings.network: no network specified: use "tcp", "udp" or "tcp,udp"'],
    ['{"outbounds": [{"protocol": "freedom", "settings": {"redirect": "::1:80"}}]}', 'PH_CONFIG_VALUE c.json:1:65: outbounds[0].settings.redirect: invalid redirect address "::1:80": too many colons in address (write "host:port", "[ipv6]:port" or ":port")'],
    ['{"outbounds": [{"protocol": "freedom", "settings": {"redirect": "a:99999"}}]}', 'PH_CONFIG_VALUE c.json:1:65: outbounds[0].settings.redirect: invalid redirect port "99999" in "a:99999": expected 0 to 65535'],
    ['{"outbounds": [{"protocol": "freedom", "sendThrough": "a.com"}]}', 'PH_CONFIG_VALUE c.json:1:55: outbounds[0].sendThrough: unable to send through "a.com": use a local IP address'],
    ['{"outbounds": [{"protocol": "freedom", "mux": {"concurrency": 2000}}]}', 'PH_CONFIG_VALUE c.json:1:63: outbounds[0].mux.concurrency: invalid mux concurrency 2000: use 1 to 1024 (or a negative value to turn mux off)'],
    ['{"outbounds": [{"protocol": "vmess"}]}', 'PH_CONFIG_VALUE c.json:1:16: outbounds[0].settings.vnext: missing "vnext": a VMess outbound needs at least one server'],
    ['{"outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "a", "users": []}]}}]}', 'PH_CONFIG_VALUE c.json:1:87: outbounds[0].settings.vnext[0].users: 0 user configured for VMess outbound: add a user with an "id"'],
    ['{"outbounds": [{"protocol": "blackhole", "settings": {"response": null}}]}', 'PH_CONFIG_VALUE c.json:1:67: outbounds[0].settings.response: invalid blackhole response: expected an object with "type" (lowercase key), e.g. {"type": "http"}'],
    ['{"reverse": {"bridges": [{"tag": "", "domain": "d"}]}}', 'PH_CONFIG_VALUE c.json:1:34: reverse.bridges[0].tag: bridge tag is empty'],
    ['{"reverse": {"portals": [{"tag": "p"}]}}', 'PH_CONFIG_VALUE c.json:1:26: reverse.portals[0].domain: portal domain is empty: add "domain" (the portal recognises the bridge\'s links by this domain)'],
    // routing
    ['{"routing": {"rules": [{"outboundTag": "out", "port": 80}]}}', 'PH_CONFIG_VALUE c.json:1:24: routing.rules[0].type: unknown router rule type "": every rule needs "type": "field"'],
    ['{"routing": {"rules": [{"type": "field", "port": 80}]}}', 'PH_CONFIG_VALUE c.json:1:24: routing.rules[0].outboundTag: neither outboundTag nor balancerTag is specified in this routing rule'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out"}]}}`, 'PH_CONFIG_VALUE c.json:1:78: routing.rules[0]: this rule has no effective fields: add a condition such as "inboundTag", "domain", "ip", "port" or "network"'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "domain": ["geosite:cn"]}]}}`, 'PH_CONFIG_UNSUPPORTED c.json:1:129: routing.rules[0].domain[0]: "geosite:cn": geosite data files are not supported by Porthole yet; list the domains instead (e.g. "domain:example.com")'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "domain": ["full:"]}]}}`, 'PH_CONFIG_VALUE c.json:1:129: routing.rules[0].domain[0]: empty full rule "full:": write a value after "full:"'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "domain": ["regexp:a(?=b)"]}]}}`, 'PH_CONFIG_VALUE c.json:1:129: routing.rules[0].domain[0]: invalid regexp "a(?=b)": invalid or unsupported Perl syntax: `(?=`'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "domain": "dotless:a.b"}]}}`, 'PH_CONFIG_VALUE c.json:1:128: routing.rules[0].domain: the text in a dotless rule must not contain a dot: "a.b"'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "ip": ["geoip:private"]}]}}`, 'PH_CONFIG_UNSUPPORTED c.json:1:125: routing.rules[0].ip[0]: "geoip:private": GeoIP data files are not supported by Porthole yet; list the IP ranges instead'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "ip": ["10.0.0.0/33"]}]}}`, 'PH_CONFIG_VALUE c.json:1:125: routing.rules[0].ip[0]: invalid IP: invalid network mask 33 in "10.0.0.0/33": at most 32'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "ip": "example.com"}]}}`, 'PH_CONFIG_VALUE c.json:1:124: routing.rules[0].ip: invalid IP: unsupported address for router: "example.com" (expected an IP or CIDR such as 10.0.0.0/8)'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "port": "1000 - 2000"}]}}`, 'PH_CONFIG_VALUE c.json:1:126: routing.rules[0].port: invalid port range "1000 - 2000": write "from-to" with ports 0 to 65535'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "port": 70000}]}}`, 'PH_CONFIG_VALUE c.json:1:126: routing.rules[0].port: invalid port 70000: expected 0 to 65535'],
    [`{"outbounds": [${FREEDOM_OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out", "protocol": ["bittorrent"]}]}}`, 'PH_CONFIG_UNSUPPORTED c.json:1:130: routing.rules[0].protocol: routing by sniffed "protocol" is not supported by Porthole yet'],
    ['{"routing": {"rules": [{"type": "field", "balancerTag": "b", "port": 1}]}}', 'PH_CONFIG_UNSUPPORTED c.json:1:57: routing.rules[0].balancerTag: balancers are not supported by Porthole yet: use "outboundTag"'],
    // unsupported features
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"network": "kcp"}}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:78: inbounds[0].streamSettings.network: transport "mkcp" is not supported by Porthole yet (only "tcp" and "ws")'],
    ['{"outbounds": [{"protocol": "freedom", "streamSettings": {"security": "TLS"}}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:71: outbounds[0].streamSettings.security: TLS on a "freedom" outbound is not supported by Porthole yet (only on "vmess" and "vless")'],
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"tcpSettings": {"header": {"type": "http"}}}}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:102: inbounds[0].streamSettings.tcpSettings.header.type: the TCP "http" header is not supported by Porthole yet (use {"type": "none"})'],
    ['{"inbounds": [{"port": 1, "protocol": "dokodemo-door", "settings": {"followRedirect": true}}]}', 'PH_CONFIG_UNSUPPORTED c.json:1:87: inbounds[0].settings.followRedirect: followRedirect (transparent proxy) is not supported by Porthole yet'],
    ['{"inbound": {"port": 1, "protocol": "vmess"}}', 'PH_CONFIG_UNSUPPORTED c.json:1:13: inbound: "inbound" is deprecated: use the "inbounds" list (Porthole does not read deprecated fields)'],
    ['{"api": {"tag": "api", "services": ["StatsService"]}}', 'PH_CONFIG_UNSUPPORTED c.json:1:9: api: the "api" section (gRPC control) is not supported by Porthole yet: remove it and its routing rule'],
    // sections Porthole ignores, checked as V2Ray 4.34 checks them (v2ray.integration.test.ts compares)
    ['{"stats": []}', 'PH_CONFIG_TYPE c.json:1:11: stats: expected an object, got a list'],
    ['{"dns": {"servers": ["1.1.1.1:53"]}}', 'PH_CONFIG_VALUE c.json:1:22: dns.servers[0]: invalid DNS server "1.1.1.1:53": first path segment in URL cannot contain colon'],
    ['{"dns": {"servers": [{"address": "1.1.1.1", "port": "53"}]}}', 'PH_CONFIG_TYPE c.json:1:53: dns.servers[0].port: expected an integer from 0 to 65535, got "53"'],
    ['{"dns": {"servers": [{"port": 53}]}}', 'PH_CONFIG_VALUE c.json:1:22: dns.servers[0]: name server address is not specified: add "address"'],
    ['{"dns": {"servers": [null]}}', 'PH_CONFIG_VALUE c.json:1:22: dns.servers[0]: a name server cannot be null: write its address, e.g. "8.8.8.8"'],
    ['{"dns": {"servers": [{"address": "1.1.1.1", "domains": ["geosite:cn"]}]}}', 'PH_CONFIG_UNSUPPORTED c.json:1:57: dns.servers[0].domains[0]: "geosite:cn": geosite data files are not supported by Porthole yet; list the domains instead (e.g. "domain:example.com")'],
    ['{"dns": {"hosts": {"regexp:(": "1.1.1.1"}}}', 'PH_CONFIG_VALUE c.json:1:20: dns.hosts["regexp:("]: invalid regexp "(": Unterminated group'],
    ['{"dns": {"hosts": {"a.com": ""}}}', 'PH_CONFIG_VALUE c.json:1:29: dns.hosts["a.com"]: neither an IP address nor a domain for "a.com"'],
    ['{"dns": {"clientIp": "a.com"}}', 'PH_CONFIG_VALUE c.json:1:22: dns.clientIp: not an IP address: "a.com"'],
    ['{"dns": {"servers": ["quic+local://a:99999"]}}', 'PH_CONFIG_VALUE c.json:1:22: dns.servers[0]: invalid DNS server "quic+local://a:99999": port 99999 is above 65535'],
    ['{"transport": {"kcpSettings": {"mtu": "1350"}}}', 'PH_CONFIG_TYPE c.json:1:39: transport.kcpSettings.mtu: expected an integer from 0 to 4294967295, got "1350"'],
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"tti": 5}}}]}', 'PH_CONFIG_VALUE c.json:1:90: inbounds[0].streamSettings.kcpSettings.tti: invalid mKCP TTI 5: expected 10 to 100'],
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"header": {"type": "teapot"}}}}]}', 'PH_CONFIG_VALUE c.json:1:102: inbounds[0].streamSettings.kcpSettings.header.type: unknown mKCP header type "teapot" (use "none", "srtp", "utp", "wechat-video", "dtls", "wireguard")'],
    ['{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"quicSettings": {"header": {}}}}]}', 'PH_CONFIG_VALUE c.json:1:94: inbounds[0].streamSettings.quicSettings.header: invalid QUIC header config: an object with "type" is required, e.g. {"type": "none"}'],
    ['{"outbounds": [{"protocol": "freedom", "streamSettings": {"wsSettings": {"headers": {"Host": 5}}}}]}', 'PH_CONFIG_TYPE c.json:1:94: outbounds[0].streamSettings.wsSettings.headers.Host: expected a string, got 5'],
    ['{"outbounds": [{"protocol": "freedom", "streamSettings": {"httpSettings": {"host": 5}}}]}', 'PH_CONFIG_TYPE c.json:1:84: outbounds[0].streamSettings.httpSettings.host: expected a list of strings or a comma-separated string, got 5'],
    ['{"outbounds": [{"protocol": "freedom", "streamSettings": {"tlsSettings": {"certificates": "x"}}}]}', 'PH_CONFIG_TYPE c.json:1:91: outbounds[0].streamSettings.tlsSettings.certificates: expected a list, got "x"'],
    // cross checks
    [`{"outbounds": [{"protocol": "freedom", "tag": "direct"}], "routing": {"rules": [{"type": "field", "port": 80, "outboundTag": "drect"}]}}`,
      'PH_CONFIG_CROSS_CHECK c.json:1:126: routing.rules[0].outboundTag: outboundTag "drect" names no outbound or portal (did you mean "direct"?); known tags: "direct" (V2Ray would silently use the first outbound)'],
    [`{"outbounds": [${FREEDOM_OUT}, {"protocol": "blackhole", "tag": "out"}]}`,
      'PH_CONFIG_CROSS_CHECK c.json:1:88: outbounds[1].tag: duplicate tag "out": outbounds[0] (c.json:1:16) already uses it; tags of outbounds and portals (a portal is an outbound) must be unique'],
    [`{"outbounds": [${FREEDOM_OUT}], "reverse": {"portals": [{"tag": "out", "domain": "d"}]}}`,
      'PH_CONFIG_CROSS_CHECK c.json:1:88: reverse.portals[0].tag: duplicate tag "out": outbounds[0] (c.json:1:16) already uses it; tags of outbounds and portals (a portal is an outbound) must be unique'],
    [`{"inbounds": [{"port": 1, "protocol": "vmess", "tag": "b"}], "reverse": {"bridges": [{"tag": "b", "domain": "d"}]}}`,
      'PH_CONFIG_CROSS_CHECK c.json:1:94: reverse.bridges[0].tag: duplicate tag "b": inbounds[0] (c.json:1:15) already uses it; tags of inbounds and bridges must be unique'],
    [`{"outbounds": [${FREEDOM_OUT}], "reverse": {"bridges": [{"tag": "bridge", "domain": "test.v2ray.com"}]}}`,
      'PH_CONFIG_CROSS_CHECK c.json:1:108: reverse.bridges[0].domain: no routing rule sends bridge "bridge"\'s link (to "test.v2ray.com") to the portal: add {"type": "field", "inboundTag": ["bridge"], "domain": ["full:test.v2ray.com"], "outboundTag": "<your VMess or VLESS outbound to the portal>"} to routing.rules'],
    [fixture('bridge.json').replace(/("rules": \[)(\{[^}]*"interconn"\n\s*\}),(\{[^}]*"out"\n\s*\})/, '$1$3,$2'),
      'PH_CONFIG_CROSS_CHECK c.json:32:15: routing.rules[0]: this rule sends bridge "bridge"\'s link (to "test.v2ray.com") to outbounds[0] "out" (freedom), not to a VMess or VLESS outbound: put {"type": "field", "inboundTag": ["bridge"], "domain": ["full:test.v2ray.com"], "outboundTag": "<your VMess or VLESS outbound to the portal>"} before it (the first matching rule wins)'],
  ])('%s', (text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });
});

describe('merging several files (v2ray -config a.json -config b.json)', () => {
  const base = `{
  "log": {"loglevel": "debug"},
  "inbounds": [{"tag": "a", "port": 1, "protocol": "vmess"}, {"port": 2, "protocol": "vmess"}],
  "outbounds": [{"tag": "x", "protocol": "freedom"}, {"tag": "y", "protocol": "blackhole"}]
}`;
  const merged = (second: string, name = 'b.json'): PortholeConfig => loadConfig([{ name: 'a.json', text: base }, { name, text: second }], { env: {} });
  const summary = (c: PortholeConfig): unknown => ({
    level: c.log.level,
    inbounds: c.inbounds.map((i) => `${i.tag ?? '-'}:${i.port.from}`),
    outbounds: c.outbounds.map((o) => `${o.tag ?? '-'}:${o.protocol}`),
  });

  it.each<[string, string, string, unknown]>([
    ['a later section replaces the whole section', '{"log": {"loglevel": "error"}}', 'b.json',
      { level: 'error', inbounds: ['a:1', '-:2'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['null or empty lists change nothing', '{"log": null, "inbounds": [], "outbounds": null}', 'b.json',
      { level: 'debug', inbounds: ['a:1', '-:2'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['one inbound with a known tag replaces it', '{"inbounds": [{"tag": "a", "port": 9, "protocol": "vmess"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:9', '-:2'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['one untagged inbound replaces the first untagged one', '{"inbounds": [{"port": 9, "protocol": "vmess"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:1', '-:9'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['one inbound with a new tag is appended', '{"inbounds": [{"tag": "n", "port": 9, "protocol": "vmess"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:1', '-:2', 'n:9'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['two inbounds replace the list', '{"inbounds": [{"tag": "a", "port": 7, "protocol": "vmess"}, {"tag": "b", "port": 8, "protocol": "vmess"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:7', 'b:8'], outbounds: ['x:freedom', 'y:blackhole'] }],
    ['one outbound with a known tag replaces it', '{"outbounds": [{"tag": "y", "protocol": "freedom"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:1', '-:2'], outbounds: ['x:freedom', 'y:freedom'] }],
    ['one outbound with a new tag is prepended (becomes the default)', '{"outbounds": [{"tag": "n", "protocol": "blackhole"}]}', 'b.json',
      { level: 'debug', inbounds: ['a:1', '-:2'], outbounds: ['n:blackhole', 'x:freedom', 'y:blackhole'] }],
    ['... or appended when the file name contains "tail"', '{"outbounds": [{"tag": "n", "protocol": "blackhole"}]}', 'conf.d/99-TAIL.json',
      { level: 'debug', inbounds: ['a:1', '-:2'], outbounds: ['x:freedom', 'y:blackhole', 'n:blackhole'] }],
  ])('%s', (_name, second, name, expected) => {
    expect(summary(merged(second, name))).toEqual(expected);
  });

  it('points errors into the file that has them', () => {
    expect(errorOf([{ name: 'a.json', text: base }, { name: 'b.json', text: '{\n"inbounds": [{"tag": "a", "port": "x", "protocol": "vmess"}]}' }]))
      .toBe('PH_CONFIG_TYPE b.json:2:35: inbounds[0].port: expected a port number or range, got "x"');
  });

  it('cross-checks the merged config: a rule in one file may name an outbound in another', () => {
    const rules = '{"routing": {"rules": [{"type": "field", "port": 80, "outboundTag": "y"}]}}';
    expect(merged(rules).routing.rules).toEqual([{ outboundTag: 'y', port: [{ from: 80, to: 80 }] }]);
  });
});

describe('loadConfigFiles', () => {
  it('reads files and names them in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'porthole-config-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, '{"log": {"loglevel": "info"}}');
    writeFileSync(bad, '{\n  "log": {"loglevel": 1}\n}');
    expect(loadConfigFiles([good]).log.level).toBe('info');
    expect(() => loadConfigFiles([good, bad])).toThrow(expect.objectContaining({ code: 'PH_CONFIG_TYPE' }));
    let line = '';
    try { loadConfigFiles([good, bad]); } catch (error) { line = formatErrorLine(error); }
    expect(line).toBe(`${bad}:2:23: log.loglevel: expected a string, got 1`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a missing file as PH_CONFIG_FILE naming the file', () => {
    let caught: unknown;
    try { loadConfigFiles(['/nonexistent/porthole.json']); } catch (error) { caught = error; }
    expect(caught).toMatchObject({ code: 'PH_CONFIG_FILE', place: { file: '/nonexistent/porthole.json' } });
    expect(formatErrorLine(caught).startsWith('/nonexistent/porthole.json: cannot read config file: no such file > ENOENT')).toBe(true);
  });
});

describe('originOf', () => {
  it('gives the file, line, column and path of built items', () => {
    const loaded = loadConfig([{ name: 'portal.json', text: fixture('portal.json') }]);
    const [external, interconn] = loaded.inbounds;
    expect([external, interconn, loaded.reverse.portals[0], loaded.routing.rules[1]].map((item) => item && originOf(item))).toEqual([
      { file: 'portal.json', line: 11, column: 5, path: 'inbounds[0]' },
      { file: 'portal.json', line: 21, column: 5, path: 'inbounds[1]' },
      { file: 'portal.json', line: 5, column: 17, path: 'reverse.portals[0]' },
      { file: 'portal.json', line: 35, column: 7, path: 'routing.rules[1]' },
    ]);
  });
});

describe('runtime helpers', () => {
  it.each<[string, Pick<PortholeConfig, 'policy'>, number, number, object]>([
    ['no policy section: defaults', {}, 0, 0, DEFAULT_LEVEL_POLICY],
    ['no policy section: level 1 idles 600 s', {}, 1, 0, { ...DEFAULT_LEVEL_POLICY, connIdle: 600 }],
    ['a policy section: unlisted level 1 gets plain defaults',
      { policy: { levels: {}, system: { statsInboundUplink: false, statsInboundDownlink: false, statsOutboundUplink: false, statsOutboundDownlink: false } } },
      1, 0, DEFAULT_LEVEL_POLICY],
    ['a listed level overrides what it sets',
      { policy: { levels: { 2: { handshake: 4, statsUserUplink: true, statsUserDownlink: false, bufferBytes: -1 } }, system: { statsInboundUplink: false, statsInboundDownlink: false, statsOutboundUplink: false, statsOutboundDownlink: false } } },
      2, 0, { ...DEFAULT_LEVEL_POLICY, handshake: 4, statsUserUplink: true, bufferBytes: -1 }],
    ['a dokodemo/freedom timeout at level 0 replaces connIdle', {}, 0, 30, { ...DEFAULT_LEVEL_POLICY, connIdle: 30 }],
    ['... but not at another level', {}, 3, 30, DEFAULT_LEVEL_POLICY],
  ])('policyForLevel: %s', (_name, cfg, level, timeout, expected) => {
    expect(policyForLevel(cfg, level, timeout)).toEqual(expected);
  });

  it('DEFAULT_LEVEL_POLICY matches V2Ray 4.34 SessionDefault', () => {
    expect(DEFAULT_LEVEL_POLICY).toEqual({
      handshake: 60, connIdle: 300, uplinkOnly: 1, downlinkOnly: 1, statsUserUplink: false, statsUserDownlink: false, bufferBytes: 512 * 1024,
    });
  });

  it.each([
    ['auto', 'x64', 'aes-128-gcm'], ['auto', 'arm64', 'aes-128-gcm'], ['auto', 's390x', 'aes-128-gcm'],
    ['auto', 'arm', 'chacha20-poly1305'], ['auto', 'ia32', 'chacha20-poly1305'], ['none', 'x64', 'none'],
    ['chacha20-poly1305', 'x64', 'chacha20-poly1305'],
  ] as const)('resolveVmessSecurity(%s, %s) → %s', (security, arch, expected) => {
    expect(resolveVmessSecurity(security, arch)).toBe(expected);
  });

  it.each([
    [{ kind: 'full', value: 'a.com' }, ['a.com'], ['b.a.com', 'A.com']],
    [{ kind: 'domain', value: 'a.com' }, ['a.com', 'b.a.com'], ['ba.com', 'a.com.cn']],
    [{ kind: 'keyword', value: 'oo' }, ['google.com'], ['gogle.com']],
    [{ kind: 'keyword', value: '' }, ['anything'], []],
    [{ kind: 'regexp', value: '\\.cn$' }, ['a.cn'], ['a.cn.com']],
    [{ kind: 'dotless', value: '' }, ['localhost'], ['a.b']],
    [{ kind: 'dotless', value: 'lan' }, ['mylan1'], ['my.lan', 'host']],
  ] as const)('compileDomainMatcher(%j)', (matcher, yes, no) => {
    const match = compileDomainMatcher(matcher);
    expect([yes.map(match), no.map(match)]).toEqual([yes.map(() => true), no.map(() => false)]);
  });

  it('cidrContains handles IPv4, IPv6 and IPv4-mapped addresses', () => {
    const v4 = { address: '10.0.0.0', prefix: 8 };
    const v6 = { address: '2001:db8::', prefix: 32 };
    expect([
      cidrContains(v4, '10.1.2.3'), cidrContains(v4, '::ffff:10.1.2.3'), cidrContains(v4, '11.0.0.1'),
      cidrContains(v6, '2001:db8:1::1'), cidrContains(v6, '2001:db9::1'), cidrContains({ address: '0.0.0.0', prefix: 0 }, '8.8.8.8'),
    ]).toEqual([true, true, false, true, false, true]);
  });
});

describe('exportV2RayConfig round-trips', () => {
  const ROUND_TRIP: [string, string][] = [
    ['bridge.json', fixture('bridge.json')],
    ['portal.json', fixture('portal.json')],
    ['everything.json', fixture('everything.json')],
  ];
  it.each(ROUND_TRIP)('%s: load → export → load gives an equal config', (name, text) => {
    const first = loadConfig([{ name, text }], { env: {} });
    const exported = exportV2RayConfig(first);
    const second = loadConfig([{ name: 'exported.json', text: JSON.stringify(exported, null, 2) }], { env: {} });
    expect(second).toStrictEqual(first);
  });

  it('writes the bridge the way V2Ray\'s docs do', () => {
    expect(exportV2RayConfig(loadConfig([{ name: 'bridge.json', text: fixture('bridge.json') }]))).toEqual({
      log: { access: 'none', loglevel: 'warning' },
      inbounds: [],
      outbounds: [
        { tag: 'out', protocol: 'freedom', settings: { domainStrategy: 'AsIs', redirect: '127.0.0.1:80', timeout: 0, userLevel: 0 } },
        {
          tag: 'interconn', protocol: 'vmess',
          settings: { vnext: [{ address: '127.0.0.1', port: 1024, users: [{ id: UUID, alterId: 0, level: 0, security: 'auto' }] }] },
        },
      ],
      routing: {
        domainStrategy: 'AsIs',
        rules: [
          { type: 'field', inboundTag: ['bridge'], domain: ['full:test.v2ray.com'], outboundTag: 'interconn' },
          { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
        ],
      },
      reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }] },
    });
  });
});
