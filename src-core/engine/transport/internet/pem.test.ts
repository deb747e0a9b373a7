/** Certificate files are read when a handler is built; one that cannot be read is an error at its config place. */
import { describe, expect, it } from 'vitest';
import { formatErrorLine } from '../../common/errors.js';
import { loadConfig } from '../../config/index.js';
import { prepareDialer } from './dial.js';
import { listen } from './listen.js';

function streamOf(text: string) {
  const config = loadConfig([{ name: 'c.json', text }], { env: {} });
  return config.outbounds[0]?.streamSettings ?? config.inbounds[0]?.streamSettings;
}

function lineOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return `${(error as { code: string }).code} ${formatErrorLine(error)}`;
  }
  return 'no error';
}

describe('certificate files', () => {
  it('an outbound names the missing file and where the config names it', () => {
    const text = '{"outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "a", "port": 1, "users": [{"id": "b831381d-6324-4d53-ad4f-8cda48b30811"}]}]},\n  "streamSettings": {"security": "tls", "tlsSettings": {"certificates": [{"usage": "verify", "certificateFile": "/nonexistent/ca.pem"}]}}}]}';
    expect(lineOf(() => prepareDialer(streamOf(text)))).toBe('PH_CONFIG_FILE c.json:2:113: outbounds[0].streamSettings.tlsSettings.certificates[0].certificateFile: cannot read certificate file "/nonexistent/ca.pem": no such file > ENOENT: no such file or directory, open \'/nonexistent/ca.pem\'');
  });

  it('an inbound whose key does not match its certificate fails to start, at the certificate', async () => {
    const text = '{"inbounds": [{"port": 1, "protocol": "vmess", "streamSettings": {"security": "tls", "tlsSettings": {"certificates": [{"certificate": ["not a certificate"], "key": ["nor a key"]}]}}}]}';
    const error = await listen({ host: '127.0.0.1', port: 0, stream: streamOf(text) }, () => {}).then(() => undefined, (caught: unknown) => caught);
    expect(lineOf(() => { throw error; })).toMatch(/^PH_CONFIG_VALUE c\.json:1:119: inbounds\[0\]\.streamSettings\.tlsSettings\.certificates\[0\]: invalid certificate or key: /);
  });
});
