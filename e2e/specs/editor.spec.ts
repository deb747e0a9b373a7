/**
 * Issue 4/7, the profile editor as users expect it:
 *
 * 1. A config with several mistakes shows every one at once, each underlined at its line, with a
 *    count and Previous / Next that walk the cursor through them.
 * 2. Export keeps the user's comments and layout (Porthole-only fields cut out of the text), and
 *    the real `v2ray -test` accepts the file.
 * 3. Opening another profile shows it from its first line, however far the last one was scrolled.
 *
 * Real Chromium, the real dashboard server and engine service, real v2ray.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src-core/engine/config/index.js';
import { Dashboard } from '../pages/dashboard.js';
import { ProfilesPage, type ProblemView } from '../pages/profiles.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { startServiceStack, type ServiceStack } from '../support/exposure-stack.js';

const V2RAY = '/usr/bin/v2ray';

/** Three independent mistakes: a port that is not a number, a protocol Porthole lacks, a port above 65535. */
const THREE_MISTAKES = `{
  // A bridge being written: three mistakes, each on its own line.
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

/** A portal as a user keeps it: comments, its own layout, and Porthole's exposures. */
const COMMENTED_PORTAL = `// My VPS: the portal side.  Keep this comment!
{
  "reverse": {
    "portals": [{
      "tag": "portal",
      "domain": "home.example", # the bridge's domain
      // Porthole only: ports bridges may ask for
      "exposures": {"ports": "20000-20099", "maxPerUser": 4}
    }]
  },
  "inbounds": [
    {"tag": "external", "port": 8080, "protocol": "dokodemo-door", "settings": {"address": "127.0.0.1", "port": 80, "network": "tcp"}},
    {"tag": "interconn", "port": 1024, "protocol": "vmess", "settings": {"clients": [{"id": "27848739-7e62-4138-9fd3-098a63964b6b"}]}}
  ],
  "routing": {"rules": [
    {"type": "field", "inboundTag": ["external"], "outboundTag": "portal"},
    {"type": "field", "inboundTag": ["interconn"], "outboundTag": "portal"}
  ]}
}
`;

/** A valid config of about `lines` lines: a long comment above a small body, with `mark` in its first line. */
function longProfile(mark: string, lines: number): string {
  const notes = Array.from({ length: lines }, (_, index) => `// note ${index + 1} about ${mark}`);
  return `// ${mark}: first line\n${notes.join('\n')}\n{"outbounds": [{"protocol": "freedom", "tag": "out"}]}\n`;
}

/** What the editor should list for `text`: the config layer's own errors, in order. */
function expectedProblems(text: string): ProblemView[] {
  return validateConfig([{ name: 'profile.json', text }], { env: {} }).errors.map((error) => ({
    place: `${error.place.line}:${error.place.column}`,
    message: `${error.place.path ? `${error.place.path}: ` : ''}${error.message}`,
  }));
}

let stack: ServiceStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let profiles: ProfilesPage;
const consoleProblems: string[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'porthole-e2e-editor-'));

beforeAll(async () => {
  stack = await startServiceStack();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  recordConsoleProblems(page, consoleProblems);
  await new Dashboard(page).open(stack.dashboard.url);
  profiles = new ProfilesPage(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Shows the Profiles page anew, so its list holds the profiles saved through the service. */
async function showProfilesAfresh(): Promise<void> {
  await new Dashboard(page).goTo('Overview');
  await profiles.show();
}

describe('every error at once', () => {
  it('lists all three mistakes of a pasted config, each underlined at its line', async () => {
    await profiles.show();
    await profiles.pasteNewProfile('three mistakes', THREE_MISTAKES);
    const expected = expectedProblems(THREE_MISTAKES);
    expect(expected.map((problem) => problem.place)).toEqual(['4:14', '8:18', '11:31']);
    expect({ count: await profiles.problemCount(), listed: await profiles.problems(), underlined: await profiles.markedErrorLines() })
      .toEqual({ count: '3 problems', listed: expected, underlined: [4, 8, 11] });
  });

  it('walks the cursor through them with Next and Previous, wrapping around', async () => {
    const walk: [number, number][] = [];
    for (const direction of ['Next', 'Next', 'Next', 'Next', 'Previous', 'Previous'] as const) {
      const position = await profiles.stepProblem(direction);
      walk.push([position, await profiles.cursorLine()]);
    }
    expect(walk).toEqual([[1, 4], [2, 8], [3, 11], [1, 4], [3, 11], [2, 8]]);
  });

  it('shows the problems in both themes at 1280 x 800 and 800 x 600 (screenshots)', async () => {
    const dashboard = new Dashboard(page);
    for (const [size, viewport] of [['1280', { width: 1280, height: 800 }], ['800', { width: 800, height: 600 }]] as const) {
      await page.setViewportSize(viewport);
      for (const theme of ['light', 'dark'] as const) {
        await dashboard.setTheme(theme);
        await profiles.show();
        await profiles.stepProblem('Next');
        await dashboard.screenshot(`editor-problems-${size}-${theme}`);
      }
    }
    await dashboard.setTheme('light');
    await page.setViewportSize({ width: 1280, height: 800 });
    await profiles.show();
  });

  it('still shows a single mistake as one line, where porthole test puts it', async () => {
    const one = THREE_MISTAKES.replace('"abc"', '1080').replace('"99999"', '"443"');
    await profiles.replaceText(one);
    const expected = expectedProblems(one);
    expect(expected).toHaveLength(1);
    expect({ count: await profiles.problemCount(), listed: await profiles.problems() }).toEqual({ count: null, listed: expected });
  });
});

describe('export keeps the user\'s text', () => {
  it('downloads the profile with its comments, without Porthole-only fields, and v2ray -test accepts it', async () => {
    await stack.service.saveProfile('my vps', COMMENTED_PORTAL);
    await showProfilesAfresh();
    await profiles.openProfile('my vps', { unsaved: 'Discard changes' });
    const exported = await profiles.export();
    expect({
      fileName: exported.fileName,
      comment: exported.text.startsWith('// My VPS: the portal side.  Keep this comment!\n{'),
      hash: exported.text.includes('"domain": "home.example" # the bridge\'s domain'),
      exposures: /exposures/i.test(exported.text),
      rest: exported.text.slice(exported.text.indexOf('"inbounds"')),
    }).toEqual({ fileName: 'my-vps.v2ray.json', comment: true, hash: true, exposures: false, rest: COMMENTED_PORTAL.slice(COMMENTED_PORTAL.indexOf('"inbounds"')) });
    if (existsSync(V2RAY)) {
      const file = join(scratch, exported.fileName);
      writeFileSync(file, exported.text);
      const run = spawnSync(V2RAY, ['-test', '-config', file], { encoding: 'utf8', timeout: 20_000 });
      expect({ status: run.status, ok: `${run.stdout}${run.stderr}`.includes('Configuration OK.') }, `${run.stdout}${run.stderr}`).toEqual({ status: 0, ok: true });
    }
  });
});

describe('each file opens at its top', () => {
  it('opening a second long profile after scrolling the first shows its line 1, with the cursor there', async () => {
    await stack.service.saveProfile('long one', longProfile('long one', 300));
    await stack.service.saveProfile('long two', longProfile('long two', 300));
    await showProfilesAfresh();
    await profiles.openProfile('long one');
    await profiles.scrollEditorToEnd();
    const scrolled = { top: await profiles.topLine(), cursor: await profiles.cursorLine() };
    await profiles.openProfile('long two');
    const opened = { top: await profiles.topLine(), cursor: await profiles.cursorLine(), first: (await profiles.draft()).text.startsWith('// long two: first line') };
    expect({ scrolledDown: scrolled.top > 200 && scrolled.cursor > 300, opened }).toEqual({ scrolledDown: true, opened: { top: 1, cursor: 1, first: true } });
  });

  it('logged no console error or CSP violation', () => {
    expect(consoleProblems).toEqual([]);
  });
});
