/** The page a browser gets without the dashboard's token: it says where the URL is, and runs nothing. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenPage } from './token-page.js';

describe('tokenPage', () => {
  it.each(['missing', 'wrong'] as const)('(%s) allows only its own inline style, by hash, and has no script', (problem) => {
    const { html, contentSecurityPolicy } = tokenPage(problem);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect({ policy: contentSecurityPolicy, scripts: /<script/i.test(html) }).toEqual({
      policy: `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      scripts: false,
    });
  });

  it('says why, and where the URL with the token is printed', () => {
    const missing = tokenPage('missing').html;
    const wrong = tokenPage('wrong').html;
    expect({
      missing: missing.includes('came without it'),
      wrong: wrong.includes('not this dashboard’s'),
      where: [missing, wrong].every((html) => html.includes('porthole: dashboard: http://…/?token=…') && html.includes('npm start')),
    }).toEqual({ missing: true, wrong: true, where: true });
  });
});
