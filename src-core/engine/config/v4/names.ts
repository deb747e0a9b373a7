/**
 * `reverse.portals[].exposures.names` (Porthole only):
 * `{"domain": "tunnel.example.com", "http": 80, "https": 443,
 *   "acme": {"email": "ops@example.com", "directory": "...", "caFile": "...", "storage": "..."},
 *   "certificates": [{"certificateFile": "...", "keyFile": "..."}], "customDomains": false}`.
 */
import { hostnameProblem } from '../../common/hostname.js';
import type { PortalNamesConfig } from '../types.js';
import { buildAcme } from './acme.js';
import type { BuildContext } from './decode.js';
import { Struct, fail, readArray, readBool, readString, readUint } from './decode.js';
import type { JsonNode } from './jsonc.js';

const DEFAULT_HTTP_PORT = 80;
const DEFAULT_HTTPS_PORT = 443;

export function buildNames(ctx: BuildContext, node: JsonNode): PortalNamesConfig {
  const s = new Struct(ctx, node, ['domain', 'http', 'https', 'acme', 'certificates', 'customDomains']);
  const domainNode = s.get('domain');
  if (!domainNode) return s.missing('PH_CONFIG_VALUE', 'domain', 'missing "domain": exposures get names <label>.<domain>, e.g. "tunnel.example.com" (a wildcard DNS record *.tunnel.example.com must point at this server)');
  const domain = (readString(domainNode) ?? '').toLowerCase();
  const problem = hostnameProblem(domain);
  if (problem) fail('PH_CONFIG_VALUE', domainNode, `domain ${JSON.stringify(domain)} is not a host name: ${problem}`);

  const acmeNode = s.get('acme');
  const acme = acmeNode ? buildAcme(ctx, acmeNode) : undefined;
  const certificates = (readArray(s.get('certificates')) ?? []).map((item) => buildCertificateFiles(ctx, item));
  const httpPort = port(s.get('http')) ?? DEFAULT_HTTP_PORT;
  const httpsNode = s.get('https');
  const httpsPort = port(httpsNode) ?? (acme || certificates.length > 0 ? DEFAULT_HTTPS_PORT : undefined);
  if (httpsNode && !acme && certificates.length === 0) {
    fail('PH_CONFIG_VALUE', httpsNode, 'an HTTPS port without certificates: add "acme": {} (Let\'s Encrypt) or "certificates": [{"certificateFile": …, "keyFile": …}]');
  }
  if (httpsPort !== undefined && httpsPort === httpPort) fail('PH_CONFIG_VALUE', httpsNode ?? node, `HTTP and HTTPS cannot share port ${httpPort}`);
  const customDomainsNode = s.get('customDomains');
  const customDomains = readBool(customDomainsNode) ?? false;
  if (customDomains && !acme) fail('PH_CONFIG_VALUE', customDomainsNode ?? node, 'customDomains needs "acme": a name a bridge brings gets its certificate from ACME');
  return { domain, httpPort, ...(httpsPort === undefined ? {} : { httpsPort }), ...(acme ? { acme } : {}), certificates, customDomains };
}

function buildCertificateFiles(ctx: BuildContext, node: JsonNode): { certificateFile: string; keyFile: string } {
  const s = new Struct(ctx, node, ['certificateFile', 'keyFile']);
  const certificateFile = readString(s.get('certificateFile'));
  const keyFile = readString(s.get('keyFile'));
  if (!certificateFile) return s.missing('PH_CONFIG_VALUE', 'certificateFile', 'missing "certificateFile": the PEM certificate chain');
  if (!keyFile) return s.missing('PH_CONFIG_VALUE', 'keyFile', 'missing "keyFile": the PEM private key');
  return { certificateFile, keyFile };
}

function port(node: JsonNode | undefined): number | undefined {
  const value = readUint(node, 16);
  if (node && value === 0) fail('PH_CONFIG_VALUE', node, 'port 0: use a port from 1 to 65535');
  return value;
}
