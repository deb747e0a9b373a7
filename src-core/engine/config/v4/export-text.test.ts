/** `exportConfigText`: Porthole-only members cut out of the user's own text, comments and layout kept. */
import { describe, expect, it } from 'vitest';
import { exportConfigText } from './export-text.js';

const cut = (text: string): string => exportConfigText('c.json', text);

describe('exportConfigText', () => {
  it.each([
    ['a member on its own lines, with its comment lines above and its end-of-line comment',
      `{"reverse": {"portals": [{
  "tag": "portal", // which outbound tag
  // ports for exposures
  # (Porthole only)
  "exposures": {
    "ports": "20000-20099" /* a range */
  }, // end of exposures
  "domain": "a.example"
}]}}`,
      `{"reverse": {"portals": [{
  "tag": "portal", // which outbound tag
  "domain": "a.example"
}]}}`],
    ['the last member: the comma before it goes, the comment after that comma stays',
      `{"reverse": {"portals": [{
  "tag": "portal",
  "domain": "a.example", // the bridge's domain

  "exposures": {"ports": 20000}
}]}}`,
      `{"reverse": {"portals": [{
  "tag": "portal",
  "domain": "a.example" // the bridge's domain

}]}}`],
    ['members on one line', '{"reverse": {"portals": [{"exposures": {"ports": 20000}, "tag": "p", "domain": "d"}, {"tag": "q", "domain": "e", "Exposures": {"ports": 1}}]}}',
      '{"reverse": {"portals": [{"tag": "p", "domain": "d"}, {"tag": "q", "domain": "e"}]}}'],
    ['keys in any case, duplicates too', '{"Reverse": {"PORTALS": [{"tag": "p", "domain": "d", "exposures": {"ports": 1}, "exposures": {"ports": 2}}]}}',
      '{"Reverse": {"PORTALS": [{"tag": "p", "domain": "d"}]}}'],
    ['a block comment that goes on past the line stays closed',
      `{"reverse": {"portals": [{"tag": "p", "domain": "d",
  "exposures": {"ports": 1} /* a note
  over two lines */
}]}}`,
      `{"reverse": {"portals": [{"tag": "p", "domain": "d"
  /* a note
  over two lines */
}]}}`],
    ['nothing Porthole-only: the text as is', '# hash comment\n{"log": {"loglevel": "debug"}} // tail\n', '# hash comment\n{"log": {"loglevel": "debug"}} // tail\n'],
  ])('%s', (_name, text, expected) => {
    expect(cut(text)).toBe(expected);
  });

  it('cuts an inbound\'s tlsSettings.acme, keeping the rest of its TLS settings', () => {
    const text = `{"inbounds": [{"port": 443, "protocol": "vmess", "streamSettings": {"security": "tls", "tlsSettings": {
  "serverName": "vps.example.com",
  "acme": {"email": "ops@example.com"} // Let's Encrypt, by Porthole
}}}]}`;
    expect(cut(text)).toBe(`{"inbounds": [{"port": 443, "protocol": "vmess", "streamSettings": {"security": "tls", "tlsSettings": {
  "serverName": "vps.example.com"
}}}]}`);
  });

  it('leaves "exposures" elsewhere alone (only a portal has them)', () => {
    const text = '{"reverse": {"bridges": [{"tag": "b", "domain": "d"}]}, "exposures": 1}';
    expect(cut(text)).toBe(text);
  });
});
