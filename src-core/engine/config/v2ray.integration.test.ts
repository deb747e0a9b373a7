/**
 * Checks the config layer against the real V2Ray 4.34 binary (`v2ray -test`): exports must be
 * accepted, and Porthole must accept and reject the same configs as V2Ray, except for the
 * divergences listed (each with its reason). CI installs /usr/bin/v2ray; without it these tests
 * are skipped with a message.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig, exportV2RayText, loadConfig, loadConfigFiles } from './index.js';

const V2RAY = '/usr/bin/v2ray';
const HAVE_V2RAY = existsSync(V2RAY);
if (!HAVE_V2RAY) console.warn(`skipping v2ray agreement tests: ${V2RAY} is missing (CI installs the Debian "v2ray" package)`);

const DIR = mkdtempSync(join(tmpdir(), 'porthole-v2ray-test-'));
let counter = 0;
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

interface File { readonly name: string; readonly text: string }

/** Runs `v2ray -test -config f1 -config f2 ...`; true when it prints "Configuration OK." and exits 0. */
function v2rayAccepts(files: readonly File[], env: Record<string, string> = {}): { ok: boolean; output: string } {
  const run = counter++;
  const paths = files.map((file) => {
    const path = join(DIR, `${run}-${file.name}`);
    writeFileSync(path, file.text);
    return path;
  });
  const result = spawnSync(V2RAY, ['-test', ...paths.flatMap((path) => ['-config', path])], {
    encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '', ...env },
  });
  const output = `${result.stdout}${result.stderr}`;
  return { ok: result.status === 0 && output.includes('Configuration OK.'), output };
}

function portholeAccepts(files: readonly File[], env: Record<string, string> = {}): boolean {
  try {
    loadConfig(files.map((file) => ({ ...file })), { env });
    return true;
  } catch {
    return false;
  }
}

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const OUT = '{"protocol": "freedom", "tag": "out"}';
const rule = (body: string): string => `{"outbounds": [${OUT}], "routing": {"rules": [{"type": "field", ${body}, "outboundTag": "out"}]}}`;
const vmessIn = (id: string): string => `{"inbounds": [{"port": 1080, "protocol": "vmess", "settings": {"clients": [{"id": "${id}"}]}}]}`;
const inbound = (body: string): string => `{"inbounds": [{${body}}]}`;
const outbound = (body: string): string => `{"outbounds": [{${body}}]}`;

/**
 * [name, config, accepted by both] — or, for a known divergence,
 * [name, config, accepted by v2ray, accepted by Porthole, why].
 */
type Row =
  | readonly [name: string, config: string, accepted: boolean]
  | readonly [name: string, config: string, v2ray: boolean, porthole: boolean, why: string];

const ROWS: readonly Row[] = [
  // JSON syntax (infra/conf/json/reader.go + Go encoding/json)
  ['# comments', '{ # a comment\n  "log": {"loglevel": "debug"} # another\n}', true],
  ['// and /* */ comments', '{ // a comment\n  "log": /* inline */ {"loglevel": "debug"}\n}', true],
  ['block comment closed by "*", newline, "/"', '{"log": {} /* x *\n/ }', true],
  ['trailing comma', '{"log": {"loglevel": "debug",}}', false],
  ['trailing comma in a list', '{"inbounds": [],}', false],
  ['missing comma (V2Ray doc outbound snippet)', `{"outbounds": [${fixture('invalid-doc-outbound-missing-comma.json')}]}`, false],
  ['single quotes', "{'log': {}}", false],
  ['byte-order mark', '\ufeff{}', false],
  ['no-break space', '{\u00a0}', false],
  ['leading zero', '{"policy": {"levels": {"0": {"handshake": 01}}}}', false],
  ['text after the top-level object', '{} {"log": 1}', true],
  ['empty file', '', false],
  ['only a comment', '// nothing', false],
  ['null', 'null', true],
  ['a list at the top level', '[]', false],
  ['keys in any case', `{"INBOUNDS": [{"PORT": 1080, "Protocol": "VMess", "Settings": {"Clients": [{"ID": "${UUID}"}]}}]}`, true],
  ['key folding: U+017F long s matches "s"', '{"inbounds": [{"port": 1, "protocol": "vmess", "\u017fettings": {"clients": [{"id": "bad"}]}}]}', false],
  ['duplicate key whose earlier value has a type error', '{"log": {"loglevel": 5}, "log": {"loglevel": "info"}}', false, true,
    'Porthole only reads the last duplicate (and warns); Go also type-checks the earlier one'],
  ['unknown keys', '{"colour": "red", "log": {"loglevel": "info", "x": 1}}', true],
  ['wrong type', '{"log": {"loglevel": 3}}', false],
  ['unknown log level', '{"log": {"loglevel": "verbose"}}', true],
  // UUIDs (common/uuid)
  ['UUID', vmessIn(UUID), true],
  ['UUID without dashes, upper case', vmessIn('278487397E6241389FD3098A63964B6B'), true],
  ['UUID with trailing characters', vmessIn(`${UUID}xyz`), true],
  ['UUID with a leading dash', vmessIn(`-${UUID}`), true],
  ['UUID one digit short', vmessIn(UUID.slice(0, -1)), false],
  ['UUID with a dash inside a group', vmessIn('2784873-97e62-4138-9fd3-098a63964b6b'), false],
  ['UUID with two dashes', vmessIn('27848739--7e62-4138-9fd3-098a63964b6b'), false],
  ['not a UUID', vmessIn('not-a-uuid'), false],
  // inbounds
  ['port range', inbound('"port": "1000-2000", "protocol": "dokodemo-door"'), true],
  ['reversed port range', inbound('"port": "2000-1000", "protocol": "dokodemo-door"'), false],
  ['port with a space', inbound('"port": " 80", "protocol": "dokodemo-door"'), false],
  ['port above 65535', inbound('"port": 70000, "protocol": "dokodemo-door"'), false],
  ['port from the environment', inbound('"port": "env:PORTHOLE_TEST_PORT", "protocol": "dokodemo-door"'), true],
  ['port from a missing environment variable', inbound('"port": "env:PORTHOLE_TEST_MISSING", "protocol": "dokodemo-door"'), false],
  ['no port', inbound('"protocol": "dokodemo-door"'), false],
  ['no protocol', inbound('"port": 1'), false],
  ['unknown protocol', inbound('"port": 1, "protocol": "vmesss"'), false],
  ['protocol in any case', inbound('"port": 1, "protocol": "DOKODEMO-door"'), true],
  ['listen on localhost', inbound('"port": 1, "listen": "localhost", "protocol": "dokodemo-door"'), true],
  ['listen on a domain', inbound('"port": 1, "listen": "example.com", "protocol": "dokodemo-door"'), false],
  ['allocate without strategy', inbound('"port": 1, "protocol": "dokodemo-door", "allocate": {}'), false],
  ['dokodemo network "tcp, udp"', inbound('"port": 1, "protocol": "dokodemo-door", "settings": {"network": "tcp, udp"}'), true],
  ['dokodemo network []', inbound('"port": 1, "protocol": "dokodemo-door", "settings": {"network": []}'), false],
  ['dokodemo network "tcp udp" (no known entry)', inbound('"port": 1, "protocol": "dokodemo-door", "settings": {"network": "tcp udp"}'), true, false,
    'V2Ray starts an inbound that listens on nothing; Porthole rejects it'],
  ['vmess inbound without clients', inbound('"port": 1, "protocol": "vmess"'), true],
  ['duplicate emails, any case', inbound(`"port": 1, "protocol": "vmess", "settings": {"clients": [{"id": "${UUID}", "email": "a@b"}, {"id": "${UUID}", "email": "A@B"}]}`), false],
  ['sniffing', inbound('"port": 1, "protocol": "dokodemo-door", "sniffing": {"enabled": true, "destOverride": ["http", "tls"]}'), true],
  ['sniffing an unknown protocol', inbound('"port": 1, "protocol": "dokodemo-door", "sniffing": {"destOverride": ["quic"]}'), false],
  ['streamSettings tcp with header none', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"network": "TCP", "tcpSettings": {"header": {"type": "none"}}}'), true],
  ['streamSettings unknown transport', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"network": "carrier-pigeon"}'), false],
  // outbounds
  ['freedom redirect ":80"', outbound('"protocol": "freedom", "settings": {"redirect": ":80"}'), true],
  ['freedom redirect "[::1]:80"', outbound('"protocol": "freedom", "settings": {"redirect": "[::1]:80"}'), true],
  ['freedom redirect "::1:80"', outbound('"protocol": "freedom", "settings": {"redirect": "::1:80"}'), false],
  ['freedom redirect without port', outbound('"protocol": "freedom", "settings": {"redirect": "a:"}'), false],
  ['freedom redirect port above 65535', outbound('"protocol": "freedom", "settings": {"redirect": "a:99999"}'), false],
  ['freedom unknown domainStrategy', outbound('"protocol": "freedom", "settings": {"domainStrategy": "UseIPv5"}'), true],
  ['sendThrough a domain', outbound('"protocol": "freedom", "sendThrough": "a.com"'), false],
  ['mux concurrency 1024', outbound('"protocol": "freedom", "mux": {"enabled": true, "concurrency": 1024}'), true],
  ['mux concurrency 2000', outbound('"protocol": "freedom", "mux": {"concurrency": 2000}'), false],
  ['mux concurrency 40000 (int16)', outbound('"protocol": "freedom", "mux": {"concurrency": 40000}'), false],
  ['mux concurrency -5000 (off)', outbound('"protocol": "freedom", "mux": {"concurrency": -5000}'), true],
  ['vmess outbound without vnext', outbound('"protocol": "vmess"'), false],
  ['vmess server without users', outbound('"protocol": "vmess", "settings": {"vnext": [{"address": "a", "port": 1, "users": []}]}'), false],
  ['vmess server without address', outbound(`"protocol": "vmess", "settings": {"vnext": [{"port": 1, "users": [{"id": "${UUID}"}]}]}`), false],
  ['vmess outbound with a bad UUID', outbound('"protocol": "vmess", "settings": {"vnext": [{"address": "a", "port": 1, "users": [{"id": "1234"}]}]}'), false],
  ['vmess outbound unknown security', outbound(`"protocol": "vmess", "settings": {"vnext": [{"address": "a", "port": 1, "users": [{"id": "${UUID}", "security": "aes-128-cfb"}]}]}`), true],
  ['blackhole response http in upper case', outbound('"protocol": "blackhole", "settings": {"response": {"type": "HTTP"}}'), true],
  ['blackhole response null', outbound('"protocol": "blackhole", "settings": {"response": null}'), false],
  ['blackhole response with "Type"', outbound('"protocol": "blackhole", "settings": {"response": {"Type": "http"}}'), false],
  ['blackhole unknown response', outbound('"protocol": "blackhole", "settings": {"response": {"type": "teapot"}}'), false],
  // routing
  ['rule type in any case', rule('"type": "FIELD", "port": 80'), true],
  ['rule without type', `{"outbounds": [${OUT}], "routing": {"rules": [{"port": 80, "outboundTag": "out"}]}}`, false],
  ['rule without conditions', `{"outbounds": [${OUT}], "routing": {"rules": [{"type": "field", "outboundTag": "out"}]}}`, false],
  ['rule without outboundTag', '{"routing": {"rules": [{"type": "field", "port": 80}]}}', false],
  ['rule network "tcp, udp"', rule('"network": "tcp, udp"'), true],
  ['rule network []', rule('"network": []'), false],
  ['rule port ""', rule('"port": ""'), true],
  ['rule port 0', rule('"port": 0'), true],
  ['rule port "null"', rule('"port": "null"'), true],
  ['rule port list', rule('"port": "53, 80,1000-2000"'), true],
  ['rule port "1000 - 2000"', rule('"port": "1000 - 2000"'), false],
  ['rule port 70000', rule('"port": 70000'), true, false, 'never matches in V2Ray; Porthole calls it an invalid port'],
  ['rule port range "2000-1000"', rule('"port": "2000-1000"'), true, false, 'never matches in V2Ray; Porthole calls it an invalid range'],
  ['rule naming an unknown outbound', `{"outbounds": [${OUT}], "routing": {"rules": [{"type": "field", "port": 80, "outboundTag": "nope"}]}}`, true, false,
    'V2Ray silently falls back to the first outbound; Porthole cross-checks tags'],
  ['domain "full:"', rule('"domain": ["full:"]'), false],
  ['domain "dotless:"', rule('"domain": ["dotless:"]'), true],
  ['domain "dotless:a.b"', rule('"domain": ["dotless:a.b"]'), false],
  ['domain "geosite:cn" (no geosite.dat)', rule('"domain": ["geosite:cn"]'), false],
  ['domains (plural) and a comma-separated string', rule('"domains": "a.com,keyword:b"'), true],
  ['regexp (?i)', rule('"domain": ["regexp:(?i)example"]'), true],
  ['regexp POSIX class', rule('"domain": ["regexp:^[[:alnum:]-]+\\\\.lan$"]'), true],
  ['regexp look-ahead', rule('"domain": ["regexp:a(?=b)"]'), false],
  ['regexp unknown escape', rule('"domain": ["regexp:\\\\q"]'), false],
  ['regexp unclosed group', rule('"domain": ["regexp:(a"]'), false],
  ['regexp flags mid-pattern', rule('"domain": ["regexp:a(?i:b)"]'), true, false, 'RE2 flag groups are not supported by Porthole yet'],
  ['ip "1.2.3.4/"', rule('"ip": ["1.2.3.4/"]'), true],
  ['ip IPv6 CIDR', rule('"ip": ["2001:db8::/32", "::1"]'), true],
  ['ip mask 33', rule('"ip": ["10.0.0.0/33"]'), false],
  ['ip with a leading zero', rule('"ip": ["01.2.3.4"]'), false],
  ['ip IPv4-mapped with mask 104', rule('"ip": ["::ffff:1.2.3.4/104"]'), false],
  ['ip a domain', rule('"ip": ["example.com"]'), false],
  ['ip "geoip:cn" (no geoip.dat)', rule('"ip": ["geoip:cn"]'), false],
  ['source and sourcePort', rule('"source": ["127.0.0.1"], "sourcePort": "1024-65535"'), true],
  ['user and inboundTag strings', rule('"user": "a@b", "inboundTag": "x"'), true],
  ['routing domainStrategy unknown', `{"outbounds": [${OUT}], "routing": {"domainStrategy": "Sometimes", "rules": []}}`, true],
  // reverse, policy
  ['bridge with an empty tag', '{"reverse": {"bridges": [{"tag": "", "domain": "d"}]}}', false],
  ['portal without domain', '{"reverse": {"portals": [{"tag": "p"}]}}', false],
  ['bridge without a rule for its link', `{"outbounds": [${OUT}], "reverse": {"bridges": [{"tag": "b", "domain": "d"}]}}`, true, false,
    'the bridge would dial through the default outbound; Porthole requires a rule to a VMess outbound'],
  ['portal tag equal to an outbound tag', `{"outbounds": [${OUT}], "reverse": {"portals": [{"tag": "out", "domain": "d"}]}}`, true, false,
    'V2Ray keeps one of the two handlers; Porthole rejects duplicate tags'],
  ['policy level "x"', '{"policy": {"levels": {"x": {}}}}', false],
  ['policy level "-1"', '{"policy": {"levels": {"-1": {}}}}', false],
  ['policy bufferSize -1', '{"policy": {"levels": {"0": {"bufferSize": -1}}}}', true],
  // sections Porthole ignores: checked as V2Ray checks them, so that both refuse the same
  ['stats as a list', '{"stats": []}', false],
  ['stats with unknown keys', '{"stats": {"x": 1}}', true],
  ['fakedns (not in 4.34: an unknown key)', '{"fakedns": {"ipPool": 5}}', true],
  ['observatory (not in 4.34: an unknown key)', '{"observatory": 5}', true],
  ['dns servers and hosts', '{"dns": {"servers": ["8.8.8.8", "localhost", "https://1.1.1.1/dns-query", {"address": "1.1.1.1", "port": 53, "domains": ["a.com", "regexp:^b"], "expectIps": ["10.0.0.0/8"]}], "hosts": {"a.com": "1.2.3.4", "domain:b.com": "c.com", "dotless:": "::1"}, "clientIp": "1.2.3.4"}}', true],
  ['dns with keys of later versions', '{"dns": {"queryStrategy": "UseIPv4", "disableCache": 5}}', true],
  ['dns as a string', '{"dns": "8.8.8.8"}', false],
  ['dns server "1.1.1.1:53" (not a URL)', '{"dns": {"servers": ["1.1.1.1:53"]}}', false],
  ['dns server "https://a b/"', '{"dns": {"servers": ["https://a b/"]}}', false],
  ['dns server "quic+local://a:99999"', '{"dns": {"servers": ["quic+local://a:99999"]}}', false],
  ['dns server null', '{"dns": {"servers": [null]}}', false],
  ['dns server without address', '{"dns": {"servers": [{"port": 53}]}}', false],
  ['dns server port as a string', '{"dns": {"servers": [{"address": "1.1.1.1", "port": "53"}]}}', false],
  ['dns server domains as a string', '{"dns": {"servers": [{"address": "1.1.1.1", "domains": "a.com"}]}}', false],
  ['dns server expectIps not an IP', '{"dns": {"servers": [{"address": "1.1.1.1", "expectIps": ["x.y"]}]}}', false],
  ['dns hosts address ""', '{"dns": {"hosts": {"a.com": ""}}}', false],
  ['dns hosts address null', '{"dns": {"hosts": {"a.com": null}}}', false],
  ['dns hosts "regexp:("', '{"dns": {"hosts": {"regexp:(": "1.1.1.1"}}}', false],
  ['dns hosts "keyword:"', '{"dns": {"hosts": {"keyword:": "1.1.1.1"}}}', false],
  ['dns clientIp a domain', '{"dns": {"clientIp": "a.com"}}', false],
  ['kcpSettings mtu 100', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"mtu": 100}}'), false],
  ['kcpSettings mtu as a string', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"mtu": "1350"}}'), false],
  ['kcpSettings in range, header wireguard', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"mtu": 1350, "tti": 50, "header": {"type": "WireGuard"}}}'), true],
  ['kcpSettings header with "Type"', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"header": {"Type": "none"}}}'), false],
  ['kcpSettings header null', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"kcpSettings": {"header": null}}'), false],
  ['wsSettings path as a number', outbound('"protocol": "freedom", "streamSettings": {"wsSettings": {"path": 5}}'), false],
  ['wsSettings header value null', outbound('"protocol": "freedom", "streamSettings": {"wsSettings": {"headers": {"Host": null}}}'), true],
  ['httpSettings host as a number', outbound('"protocol": "freedom", "streamSettings": {"httpSettings": {"host": 5}}'), false],
  ['dsSettings abstract as a string', outbound('"protocol": "freedom", "streamSettings": {"dsSettings": {"abstract": "yes"}}'), false],
  ['quicSettings header {}', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"quicSettings": {"header": {}}}'), false],
  ['tlsSettings certificates as a string (TLS off)', outbound('"protocol": "freedom", "streamSettings": {"tlsSettings": {"certificates": "x"}}'), false],
  ['tlsSettings naming a missing certificate file (TLS off)', outbound('"protocol": "freedom", "streamSettings": {"tlsSettings": {"certificates": [{"certificateFile": "/nonexistent.pem"}]}}'), true],
  ['transport quicSettings header teapot (never built)', '{"transport": {"quicSettings": {"header": {"type": "teapot"}}}}', true],
  ['transport kcpSettings mtu 100, no stream takes it', '{"transport": {"kcpSettings": {"mtu": 100}}}', true],
  ['transport kcpSettings mtu 100, a stream takes it', '{"transport": {"kcpSettings": {"mtu": 100}}, "inbounds": [{"port": 1, "protocol": "vmess"}]}', false],
  ['transport wsSettings path as a number', '{"transport": {"wsSettings": {"path": 5}}}', false],
  // what Porthole does not support yet
  ['shadowsocks inbound', inbound('"port": 1, "protocol": "shadowsocks", "settings": {"method": "aes-128-gcm", "password": "p"}'), true, false, 'protocol not supported by Porthole yet'],
  ['websocket transport', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"network": "ws", "wsSettings": {"path": "/t", "headers": {"Host": "a"}}}'), true],
  ['websocket + TLS on a vmess outbound', outbound(`"protocol": "vmess", "settings": {"vnext": [{"address": "a.example", "port": 443, "users": [{"id": "${UUID}"}]}]}, "streamSettings": {"network": "ws", "security": "tls", "tlsSettings": {"serverName": "a.example", "alpn": ["http/1.1"], "allowInsecure": false}}`), true],
  ['TLS certificate with neither file nor lines', outbound('"protocol": "vmess", "settings": {"vnext": [{"address": "a", "port": 1, "users": [{"id": "' + UUID + '"}]}]}, "streamSettings": {"security": "tls", "tlsSettings": {"certificates": [{"usage": "verify"}]}}'), false],
  ['TLS on freedom', outbound('"protocol": "freedom", "streamSettings": {"security": "tls"}'), true, false, 'TLS on freedom not supported by Porthole yet'],
  ['quic transport', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"network": "quic"}'), true, false, 'transport not supported by Porthole yet'],
  ['TLS inbound without a certificate', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"security": "tls"}'), true, false, 'V2Ray fails every handshake; Porthole rejects the config'],
  ['TLS inbound naming a missing certificate file', inbound('"port": 1, "protocol": "vmess", "streamSettings": {"security": "tls", "tlsSettings": {"certificates": [{"certificateFile": "/nonexistent.pem", "keyFile": "/nonexistent.key"}]}}'), false, true,
    'Porthole reads certificate files when the inbound starts (an error at the config place then), not in the config check'],
  ['listen on a Unix socket', inbound('"port": 1, "listen": "/tmp/porthole.sock", "protocol": "vmess"'), true, false, 'Unix sockets not supported by Porthole yet'],
  ['deprecated "inbound"', '{"inbound": {"port": 1, "protocol": "vmess"}}', true, false, 'deprecated fields are not read by Porthole'],
];

const ENV = { PORTHOLE_TEST_PORT: '1080' };

describe.skipIf(!HAVE_V2RAY)('Porthole and v2ray -test agree on accept/reject', () => {
  it.each(ROWS.map((row) => [row[0], row] as const))('%s', (_name, row) => {
    const [name, text] = row;
    const expectedV2ray = row[2];
    const expectedPorthole = row.length === 5 ? row[3] : row[2];
    const files = [{ name: 'c.json', text }];
    const v2ray = v2rayAccepts(files, ENV);
    expect({ name, v2ray: v2ray.ok, porthole: portholeAccepts(files, ENV) }, v2ray.output).toEqual({
      name, v2ray: expectedV2ray, porthole: expectedPorthole,
    });
  });
});

describe.skipIf(!HAVE_V2RAY)('merging several files agrees with v2ray -config a -config b', () => {
  // The first file carries an outbound and an inbound that V2Ray rejects; whether the merge
  // drops them shows which merge rule applied.
  const first: File = {
    name: 'a.json',
    text: `{
      "inbounds": [{"tag": "in", "port": 1, "protocol": "vmess", "settings": {"clients": [{"id": "bad"}]}}],
      "outbounds": [{"tag": "x", "protocol": "freedom", "mux": {"concurrency": 2000}}, {"tag": "y", "protocol": "freedom"}],
      "routing": {"rules": [{"type": "field", "outboundTag": "y"}]}
    }`,
  };
  const FIX_ROUTING = '"routing": {"rules": [{"type": "field", "port": 80, "outboundTag": "y"}]}';
  const FIX_INBOUND = `"inbounds": [{"tag": "in", "port": 1, "protocol": "vmess", "settings": {"clients": [{"id": "${UUID}"}]}}]`;
  it.each<[string, File, boolean]>([
    ['nothing replaced', { name: 'b.json', text: '{}' }, false],
    ['routing, inbound and outbound replaced by tag', { name: 'b.json', text: `{${FIX_ROUTING}, ${FIX_INBOUND}, "outbounds": [{"tag": "x", "protocol": "blackhole"}]}` }, true],
    ['an unmatched single outbound is added, the bad one stays', { name: 'b.json', text: `{${FIX_ROUTING}, ${FIX_INBOUND}, "outbounds": [{"tag": "z", "protocol": "blackhole"}]}` }, false],
    ['an unmatched single inbound is appended, the bad one stays', { name: 'b.json', text: `{${FIX_ROUTING}, "inbounds": [{"tag": "new", "port": 2, "protocol": "vmess"}], "outbounds": [{"tag": "x", "protocol": "blackhole"}]}` }, false],
    ['two outbounds replace the whole list', { name: 'b.json', text: `{${FIX_ROUTING}, ${FIX_INBOUND}, "outbounds": [{"tag": "y", "protocol": "blackhole"}, {"tag": "w", "protocol": "freedom"}]}` }, true],
  ])('%s', (name, second, accepted) => {
    const files = [first, second];
    const v2ray = v2rayAccepts(files);
    expect({ name, v2ray: v2ray.ok, porthole: portholeAccepts(files) }, v2ray.output).toEqual({ name, v2ray: accepted, porthole: accepted });
  });
});

describe.skipIf(!HAVE_V2RAY)('log files: v2ray opens them at load, Porthole checks them', () => {
  // loadConfigFiles, as `porthole test` runs it: the log check needs the files on this machine.
  function portholeAcceptsFile(text: string): boolean {
    const path = join(DIR, `${counter++}-porthole.json`);
    writeFileSync(path, text);
    try {
      loadConfigFiles([path]);
      return true;
    } catch {
      return false;
    }
  }
  const logs = join(DIR, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'read-only.log'), '');
  chmodSync(join(logs, 'read-only.log'), 0o444);
  const isRoot = process.getuid?.() === 0;
  it.each<[string, object, boolean]>([
    ['error log in a folder that does not exist', { error: join(DIR, 'missing', 'e.log') }, false],
    ['access log in a folder that does not exist', { access: join(DIR, 'missing', 'a.log') }, false],
    ['access log in a missing folder, error log off', { access: join(DIR, 'missing', 'a.log'), error: 'none' }, false],
    ['a folder given as the file', { access: logs }, false],
    ['loglevel "none": no file is opened', { access: join(DIR, 'missing', 'a.log'), loglevel: 'none' }, true],
    ['new files in a folder that exists', { access: join(logs, 'a.log'), error: join(logs, 'e.log') }, true],
    // Root may write it (as V2Ray run as root may); any other user may not.
    ['a read-only file', { access: join(logs, 'read-only.log') }, isRoot],
  ])('%s', (name, log, accepted) => {
    const text = JSON.stringify({ log });
    const v2ray = v2rayAccepts([{ name: 'log.json', text }]);
    expect({ name, v2ray: v2ray.ok, porthole: portholeAcceptsFile(text) }, v2ray.output).toEqual({ name, v2ray: accepted, porthole: accepted });
  });
});

describe.skipIf(!HAVE_V2RAY)('exported configs pass v2ray -test', () => {
  it.each(['bridge.json', 'portal.json', 'everything.json'])('%s', (name) => {
    const config = loadConfig([{ name, text: fixture(name) }], { env: {} });
    const exported = JSON.stringify(exportV2RayConfig(config), null, 2);
    const v2ray = v2rayAccepts([{ name: `exported-${name}`, text: exported }]);
    expect(v2ray.output).toContain('Configuration OK.');
    expect(v2ray.ok).toBe(true);
    expect(loadConfig([{ name: 'exported.json', text: exported }], { env: {} })).toStrictEqual(config);
  });
});

describe.skipIf(!HAVE_V2RAY)('exported text keeps the user\'s comments and passes v2ray -test', () => {
  // The portal fixture with Porthole's exposures (and its comments), as a user would keep it.
  const portal = fixture('portal.json').replace('"domain": "test.v2ray.com"  // Must be the same as in bridge', `"domain": "test.v2ray.com",  // Must be the same as in bridge
      // Porthole only: ports bridges may ask for
      "exposures": {
        "ports": "20000-20099", # a hash comment inside
        "maxPerUser": 4
      }`);

  it('cuts the portal\'s exposures out and keeps every comment', () => {
    const config = loadConfig([{ name: 'portal.json', text: portal }], { env: {} });
    expect(config.reverse.portals[0]?.exposures?.maxPerUser).toBe(4);
    const exported = exportV2RayText({ name: 'portal.json', text: portal });
    const v2ray = v2rayAccepts([{ name: 'exported-portal.json', text: exported }]);
    expect(v2ray.ok, v2ray.output).toBe(true);
    expect(exported).toBe(fixture('portal.json'));
    const { exposures: _dropped, ...portalWithout } = config.reverse.portals[0] ?? { tag: '', domain: '' };
    expect(loadConfig([{ name: 'portal.json', text: exported }], { env: {} }).reverse.portals).toStrictEqual([portalWithout]);
  });

  it.each(['bridge.json', 'portal.json', 'everything.json'])('%s is exported as written', (name) => {
    const exported = exportV2RayText({ name, text: fixture(name) });
    expect(exported).toBe(fixture(name));
    expect(v2rayAccepts([{ name: `text-${name}`, text: exported }]).ok).toBe(true);
  });
});
