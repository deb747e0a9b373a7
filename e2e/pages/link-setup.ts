/**
 * A bridge's link as the user sees it (issue 3/7): the bridge card on the Overview with its link
 * problem, and Server setup's transport choice (TLS, WebSocket, WebSocket + TLS behind nginx or
 * Caddy) with the bridge profile it makes. Selectors stay in here.
 */
import type { Locator, Page } from 'playwright-core';
import { Dashboard } from './dashboard.js';
import { ServerSetupDialog } from './exposures.js';

const WAIT_MS = 20_000;

export class BridgeCard extends Dashboard {
  constructor(page: Page) {
    super(page);
  }

  private card(tag: string): Locator {
    return this.page.getByTestId('bridge').filter({ hasText: tag });
  }

  /** Waits until the bridge's card shows a problem matching `pattern`; returns its text. */
  async waitForProblem(tag: string, pattern: RegExp): Promise<string> {
    await this.goTo('Overview');
    const problem = this.card(tag).getByTestId('bridge-problem').filter({ hasText: pattern });
    await problem.waitFor({ timeout: WAIT_MS });
    await problem.scrollIntoViewIfNeeded();
    return (await problem.textContent()) ?? '';
  }

  async waitForLinkUp(tag: string): Promise<void> {
    await this.goTo('Overview');
    await this.card(tag).filter({ hasText: 'Link up' }).waitFor({ timeout: WAIT_MS });
  }

  async hasProblem(tag: string): Promise<boolean> {
    return (await this.card(tag).getByTestId('bridge-problem').count()) > 0;
  }
}

export class TransportSetup extends ServerSetupDialog {
  constructor(page: Page) {
    super(page);
  }

  private box(): Locator {
    return this.page.getByRole('dialog', { name: /^Server setup/ });
  }

  async pick(label: 'VMess over TCP' | 'TLS' | 'WebSocket' | 'WebSocket + TLS'): Promise<void> {
    await this.box().getByRole('radio', { name: new RegExp(`^${label.replace(/[+]/g, '\\+')}( \\(profile now\\))?$`) }).check();
    await this.box().locator('[data-testid="setup-transport"] input[type="radio"]:checked').waitFor();
  }

  /** Types the server name and/or path and applies them; waits for the configs made with them. */
  async apply(fields: { serverName?: string; path?: string }): Promise<void> {
    if (fields.serverName !== undefined) await this.box().getByTestId('setup-server-name').fill(fields.serverName);
    if (fields.path !== undefined) await this.box().getByTestId('setup-path').fill(fields.path);
    await this.box().getByRole('button', { name: 'Apply' }).click();
    if (fields.path !== undefined) await this.box().getByTestId('setup-config').filter({ hasText: `"path": "${fields.path}"` }).waitFor({ timeout: WAIT_MS });
  }

  async proxyText(proxy: 'nginx' | 'caddy'): Promise<string> {
    await this.box().getByRole('group', { name: 'Web server in front of the portal' }).getByRole('button', { name: proxy === 'nginx' ? 'nginx' : 'Caddy' }).click();
    const text = this.box().getByTestId(`setup-${proxy}`);
    await text.waitFor({ timeout: WAIT_MS });
    return (await text.textContent()) ?? '';
  }

  /** Scrolls the dialog back to its top (the transport choice). */
  async showTop(): Promise<void> {
    await this.box().getByTestId('setup-transport').scrollIntoViewIfNeeded();
  }

  async configText(): Promise<string> {
    return (await this.box().getByTestId('setup-config').textContent()) ?? '';
  }

  async bridgeProfileText(): Promise<string> {
    return (await this.box().getByTestId('setup-bridge-text').textContent()) ?? '';
  }

  /** Whether the saved profile differs from what the configs expect. */
  async bridgeChanged(): Promise<boolean> {
    return (await this.box().getByTestId('setup-bridge').getAttribute('data-changed')) === 'true';
  }

  /** Clicks "Use in “profile”" and waits for the result line. */
  async useBridgeProfile(): Promise<string> {
    await this.box().getByTestId('setup-bridge-apply').click();
    const result = this.box().getByTestId('setup-bridge-result');
    await result.waitFor({ timeout: WAIT_MS });
    return (await result.textContent()) ?? '';
  }

  async errorText(): Promise<string> {
    const error = this.box().getByTestId('setup-error');
    await error.waitFor({ timeout: WAIT_MS });
    return (await error.textContent()) ?? '';
  }
}

/** Server setup's install steps and its Check (issue 4/7). */
export class ServerSetupCheck extends TransportSetup {
  constructor(page: Page) {
    super(page);
  }

  private panel(): Locator {
    return this.page.getByRole('dialog', { name: /^Server setup/ });
  }

  /** The ports the firewall steps open, as listed above the steps. */
  async firewallPorts(): Promise<number[]> {
    const text = (await this.panel().getByTestId('setup-ports').textContent()) ?? '';
    return text.split(',').map((part) => Number(part.trim()));
  }

  /** Each install step's command, by step id (`install`, `config`, `test`, `service`, `firewall-ufw`, `firewall-firewalld`). */
  async installCommands(): Promise<Record<string, string>> {
    const steps = this.panel().getByTestId('setup-install').locator('li[data-testid^="setup-step-"]');
    const commands: Record<string, string> = {};
    for (const step of await steps.all()) {
      const id = ((await step.getAttribute('data-testid')) ?? '').replace(/^setup-step-/, '');
      commands[id] = (await step.getByTestId('setup-step-command').textContent()) ?? '';
    }
    return commands;
  }

  /** The copy buttons of the install steps, by accessible name. */
  async installCopyButtons(): Promise<string[]> {
    const buttons = this.panel().getByTestId('setup-install').getByRole('button', { name: /^Copy the command/ });
    return Promise.all((await buttons.all()).map(async (button) => (await button.getAttribute('aria-label')) ?? ''));
  }

  async showInstall(): Promise<void> {
    await this.panel().getByTestId('setup-install').scrollIntoViewIfNeeded();
  }

  /** Clicks Check and waits for its answer; returns the summary and one `state: title` line per step. */
  async check(): Promise<{ summary: string; lines: string[]; details: string[] }> {
    const section = this.panel().getByTestId('setup-check');
    await section.getByTestId('setup-check-run').click();
    await this.panel().locator('[data-testid="setup-check"][data-state="done"], [data-testid="setup-check"][data-state="failed"]').waitFor({ timeout: 60_000 });
    const steps = await section.locator('li[data-state]').all();
    await steps.at(-1)?.scrollIntoViewIfNeeded();
    const lines: string[] = [];
    const details: string[] = [];
    for (const step of steps) {
      lines.push(`${(await step.getAttribute('data-state')) ?? ''}: ${(await step.getByTestId('setup-check-title').textContent()) ?? ''}`);
      const detail = step.getByTestId('setup-check-detail');
      details.push((await detail.count()) > 0 ? (await detail.textContent()) ?? '' : '');
    }
    return { summary: (await section.getByTestId('setup-check-summary').textContent()) ?? '', lines, details };
  }

  /** Scrolls to Check's last line (or its button before a run). */
  async showCheck(): Promise<void> {
    const section = this.panel().getByTestId('setup-check');
    const last = section.locator('li[data-state]').last();
    await ((await last.count()) > 0 ? last : section).scrollIntoViewIfNeeded();
  }
}

/** Server setup → Names for a V2Ray portal: who serves them, the domain, the names and snippets. */
export class NamesSetup extends ServerSetupCheck {
  constructor(page: Page) {
    super(page);
  }

  private section(): Locator {
    return this.page.getByRole('dialog', { name: /^Server setup/ }).getByTestId('setup-names');
  }

  /** Picks who serves the names and waits for the configs made for it. */
  async pickNames(choice: 'None' | 'Caddy' | 'nginx'): Promise<void> {
    await this.section().getByRole('group', { name: 'Who serves the names' }).getByRole('button', { name: choice }).click();
    await this.section().and(this.page.locator(`[data-names="${choice.toLowerCase()}"]`)).waitFor({ timeout: WAIT_MS });
    if (choice !== 'None') await this.section().getByTestId('setup-names-text').waitFor({ timeout: WAIT_MS });
  }

  async domain(): Promise<string> {
    return this.section().getByTestId('setup-names-domain').inputValue();
  }

  /** Types a domain and applies it; waits until the names use it (or an error shows). */
  async applyDomain(domain: string): Promise<void> {
    await this.section().getByTestId('setup-names-domain').fill(domain);
    await this.section().getByRole('button', { name: 'Apply' }).click();
    const expected = domain.trim().toLowerCase();
    const named = this.section().getByTestId('setup-name-url').filter({ hasText: `.${expected}` }).first();
    const error = this.page.getByRole('dialog', { name: /^Server setup/ }).getByTestId('setup-error');
    await named.or(error).first().waitFor({ timeout: WAIT_MS });
  }

  async urls(): Promise<string[]> {
    return this.section().getByTestId('setup-name-url').allTextContents();
  }

  /** The snippet shown: its file name, text and command, and for nginx the certbot command. */
  async snippet(): Promise<{ fileName: string; text: string; command: string; certbot: string | null }> {
    const section = this.section();
    const certbot = section.getByTestId('setup-names-certbot');
    return {
      fileName: (await section.getByTestId('setup-names-file-name').textContent()) ?? '',
      text: (await section.getByTestId('setup-names-text').textContent()) ?? '',
      command: (await section.getByTestId('setup-names-command').textContent()) ?? '',
      certbot: (await certbot.count()) > 0 ? (await certbot.textContent()) ?? '' : null,
    };
  }

  /** Clicks the Copy button named `Copy <what>` in the Names part; resolves with what the clipboard then holds. */
  async copy(what: string): Promise<string> {
    await this.section().getByRole('button', { name: `Copy ${what}`, exact: true }).click();
    return this.page.evaluate('navigator.clipboard.readText()');
  }

  async showNames(): Promise<void> {
    await this.section().evaluate((element) => (element as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'start' }));
  }
}
