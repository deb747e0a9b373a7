/**
 * The `dns` section: ignored with a warning (Porthole resolves names with the operating system),
 * after the checks that make V2Ray 4.34 refuse it, so that `porthole test` passes only what
 * `v2ray -test` passes: Go's decoding (`infra/conf/dns.go` types), `DNSConfig.Build` (name
 * servers need an address; client IPs must be IPs; domain rules and `expectIps` parse as in
 * routing; the prefixes of `hosts` keys) and what the DNS app checks when it starts
 * (`app/dns`: a server written as a domain must parse as a URL; regexps compile; a host maps to
 * something).
 */
import type { BuildContext } from './decode.js';
import { fail, readString, warn } from './decode.js';
import { parseGoUrl, goUrlPort } from './go-url.js';
import { checkGoType, lastValue, type GoType } from './go-types.js';
import type { JsonNode } from './jsonc.js';
import { placeAt } from './jsonc.js';
import { parseAddress, portFromString } from './net.js';
import { parseDomainRule, readCidrList } from './routing.js';
import { PortholeError, type ErrorCode } from '../../common/errors.js';

const NAME_SERVER: GoType = {
  struct: { address: 'string', clientIp: 'string', port: 'uint16', domains: { list: 'string' }, expectIps: 'stringList' },
};
const DNS: GoType = { struct: { servers: 'raw', hosts: { map: 'string' }, clientIp: 'string', tag: 'string' } };

function checkIpAddress(node: JsonNode | undefined): void {
  const text = readString(node);
  if (text !== undefined && node && parseAddress(text).kind !== 'ip') fail('PH_CONFIG_VALUE', node, `not an IP address: ${JSON.stringify(text)}`);
}

/** `app/dns` `NewServer`: a server written as a domain is a URL (DoH, DoQ, "localhost" or a plain name). */
function checkServerAddress(node: JsonNode): void {
  const address = parseAddress(readString(node) ?? '');
  if (address.kind === 'ip') return;
  const url = parseGoUrl(address.text);
  if (typeof url === 'string') fail('PH_CONFIG_VALUE', node, `invalid DNS server ${JSON.stringify(address.text)}: ${url}`);
  const port = goUrlPort(url);
  if (url.scheme === 'quic+local' && port !== '' && portFromString(port) === undefined) {
    fail('PH_CONFIG_VALUE', node, `invalid DNS server ${JSON.stringify(address.text)}: port ${port} is above 65535`);
  }
}

function checkDomainRule(value: string, node: JsonNode): void {
  const parsed = parseDomainRule(value);
  if ('error' in parsed) fail(parsed.unsupported ? 'PH_CONFIG_UNSUPPORTED' : 'PH_CONFIG_VALUE', node, parsed.error);
}

function checkNameServer(ctx: BuildContext, node: JsonNode): void {
  // V2Ray 4.34 crashes on a null server; it never starts either way.
  if (node.kind === 'null') fail('PH_CONFIG_VALUE', node, 'a name server cannot be null: write its address, e.g. "8.8.8.8"');
  if (node.kind === 'string') return checkServerAddress(node);
  if (node.kind !== 'object') fail('PH_CONFIG_TYPE', node, 'expected a name server address such as "8.8.8.8", or an object with "address"');
  checkGoType(node, NAME_SERVER);
  const address = lastValue(node, 'address');
  if (!address) fail('PH_CONFIG_VALUE', node, 'name server address is not specified: add "address"');
  checkServerAddress(address);
  checkIpAddress(lastValue(node, 'clientIp'));
  const domains = lastValue(node, 'domains');
  if (domains?.kind === 'array') {
    for (const item of domains.items) checkDomainRule(item.kind === 'string' ? item.value : '', item);
  }
  const expectIps = lastValue(node, 'expectIps');
  if (expectIps) readCidrList(ctx, expectIps);
}

/** What is wrong with a `hosts` key, by its prefix (V2Ray `DNSConfig.Build`); no prefix means the whole name. */
function hostKeyProblem(key: string): { code: ErrorCode; message: string } | undefined {
  if (key.startsWith('geosite:') || key.startsWith('ext:')) {
    return { code: 'PH_CONFIG_UNSUPPORTED', message: `${JSON.stringify(key)}: geosite data files are not supported by Porthole yet; list the domains instead` };
  }
  if (!['domain:', 'regexp:', 'keyword:', 'full:', 'dotless:'].some((prefix) => key.startsWith(prefix))) return undefined;
  const parsed = parseDomainRule(key);
  return 'error' in parsed ? { code: parsed.unsupported ? 'PH_CONFIG_UNSUPPORTED' : 'PH_CONFIG_VALUE', message: parsed.error } : undefined;
}

function checkHosts(node: JsonNode): void {
  if (node.kind !== 'object') return;
  for (const member of node.members) {
    const problem = hostKeyProblem(member.key);
    if (problem) throw new PortholeError(problem.code, problem.message, placeAt(node.file, member.keyOffset, member.value.path));
    const value = member.value;
    if (value.kind === 'null') fail('PH_CONFIG_VALUE', value, `no address for ${JSON.stringify(member.key)}: write an IP or a domain`);
    if (value.kind === 'string' && parseAddress(value.value).text === '') {
      fail('PH_CONFIG_VALUE', value, `neither an IP address nor a domain for ${JSON.stringify(member.key)}`);
    }
  }
}

export function checkDns(ctx: BuildContext, node: JsonNode | undefined): void {
  if (node === undefined) return;
  checkGoType(node, DNS);
  const servers = lastValue(node, 'servers');
  if (servers && servers.kind !== 'array') fail('PH_CONFIG_TYPE', servers, 'expected a list of name servers');
  for (const server of servers?.kind === 'array' ? servers.items : []) checkNameServer(ctx, server);
  checkIpAddress(lastValue(node, 'clientIp'));
  const hosts = lastValue(node, 'hosts');
  if (hosts) checkHosts(hosts);
  warn(ctx, node, 'the "dns" section is ignored: Porthole resolves names with the operating system');
}
