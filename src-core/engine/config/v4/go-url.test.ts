import { describe, expect, it } from 'vitest';
import { goUrlPort, parseGoUrl } from './go-url.js';

// Each error text is what V2Ray 4.34 (Go 1.19 net/url) printed for the same DNS server address.
describe('parseGoUrl refuses what Go url.Parse refuses', () => {
  it.each<[string, string | { scheme: string; host: string }]>([
    ['', { scheme: '', host: '' }],
    ['localhost', { scheme: '', host: '' }],
    ['a:53', { scheme: 'a', host: '' }],
    ['tcp:a:53', { scheme: 'tcp', host: '' }],
    ['HTTPS://dns.google/dns-query', { scheme: 'https', host: 'dns.google' }],
    ['https://u:p@[::1]:53/q?x=%zz', { scheme: 'https', host: '[::1]:53' }],
    ['//a:53', { scheme: '', host: 'a:53' }],
    ['///a:53', { scheme: '', host: '' }],
    ['1.1.1.1:53', 'first path segment in URL cannot contain colon'],
    [':53', 'missing protocol scheme'],
    ['a\tb', 'net/url: invalid control character in URL'],
    ['https://a b/', 'invalid character " " in host name'],
    ['https://a:x/', 'invalid port ":x" after host'],
    ['https://[::1', 'missing \']\' in host'],
    ['https://a%zz/', 'invalid URL escape "%zz"'],
    ['https://a%41/', 'invalid URL escape "%41"'],
    ['https://a/%zz', 'invalid URL escape "%zz"'],
    ['https://a/#%zz', 'invalid URL escape "%zz"'],
    ['https://u{@a/', 'net/url: invalid userinfo'],
    ['https://u:%zz@a/', 'invalid URL escape "%zz"'],
    ['a%zz', 'invalid URL escape "%zz"'],
  ])('%j', (raw, expected) => {
    expect(parseGoUrl(raw)).toEqual(expected);
  });

  it('reads the port as URL.Port() does', () => {
    const port = (raw: string): string => {
      const url = parseGoUrl(raw);
      return typeof url === 'string' ? url : goUrlPort(url);
    };
    expect([port('quic+local://a:853'), port('quic+local://a'), port('quic+local://[::1]:99999'), port('quic+local://a:')]).toEqual(['853', '', '99999', '']);
  });
});
