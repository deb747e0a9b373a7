/**
 * What a browser sees when it opens the dashboard without its token, or with a wrong one (issue
 * 4/7): a short page, still answered 401, that says where the URL with the token is printed.
 * It has no script; its one style sheet is inline and allowed by hash alone, so the page keeps
 * the dashboard's strict policy (nothing else may load or run).
 */
import { createHash } from 'node:crypto';

/** Why the page is shown: no token came with the request, or the one that came is not ours. */
export type TokenProblem = 'missing' | 'wrong';

const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1a1e24; --muted: #5d6673; --border: #e2e5ea; --code: #f0f2f5; --accent: #2563eb; }
@media (prefers-color-scheme: dark) { :root { --bg: #0e1014; --card: #161a20; --text: #e4e8ee; --muted: #9aa4b3; --border: #262c36; --code: #202631; --accent: #5b8def; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px; background: var(--bg); color: var(--text); font: 14px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 560px; background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 24px 28px; }
h1 { font-size: 18px; margin: 0 0 8px; }
h1 span { color: var(--accent); }
p, li { color: var(--muted); }
ol { padding-left: 20px; }
li { margin: 6px 0; }
code { font: 12.5px ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; background: var(--code); padding: 1px 5px; border-radius: 4px; color: var(--text); overflow-wrap: anywhere; }
`;

/** `'sha256-…'` of the inline style, for the page's Content-Security-Policy. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const LEAD: Record<TokenProblem, string> = {
  missing: 'This dashboard controls a running Porthole engine, so it opens only with its access token, and this address came without it.',
  wrong: 'The token in this link is not this dashboard’s: it is from another Porthole, or from before its token was replaced.',
};

/** The page's HTML and the policy to send with it. */
export function tokenPage(problem: TokenProblem): { html: string; contentSecurityPolicy: string } {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Porthole: open the dashboard with its token</title>
<style>${STYLE}</style>
</head>
<body>
<main data-token-problem="${problem}">
<h1><span>Porthole</span> dashboard: this link needs its token</h1>
<p>${LEAD[problem]}</p>
<p>To open it, use the full URL that was printed when the dashboard started. It ends in <code>?token=…</code>:</p>
<ol>
<li><b>Headless</b> (<code>porthole run -c config.json --ui 127.0.0.1:7070</code>): look in that terminal or service log for the line <code>porthole: dashboard: http://…/?token=…</code>.</li>
<li><b><code>npm start</code></b> where the tray app cannot open: the same line is printed a few lines below the first one.</li>
<li>Lost it? It is kept in the file <code>dashboard-token</code> in Porthole’s folder (<code>~/.config/porthole</code>, or <code>$PORTHOLE_CONFIG_DIR</code>); delete that file and restart the dashboard to make a new one (old links then stop working).</li>
</ol>
<p>Once opened, the browser keeps the token in a cookie for this address, so the clean address works until the token is replaced.</p>
</main>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
