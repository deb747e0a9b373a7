/**
 * Server setup for a V2Ray server (issue 4/7), in Chromium against the real dashboard and engine
 * service, with the real `v2ray` as the portal, run from the text the dialog shows:
 *
 * 1. The ports: the firewall steps open the link port and each exposure's public port, exactly
 *    the ones the exposures have, and the install steps (apt, /etc/v2ray/config.json, v2ray -test,
 *    systemctl, ufw, firewalld) each have a copy button.
 * 2. Check with the portal run from the text minus one exposure's inbound: the link is accepted,
 *    the web exposure reaches its local site, the API exposure is reported as not set up.
 * 3. Check with the portal run from the text as shown: every line passes.
 * 4. Names (V2Ray cannot route by name): Caddy or nginx in front, the sslip.io domain offered,
 *    a domain of one's own, the snippets and their copy buttons, a bad domain said and undone.
 * Screenshots (prefix server-setup-): install-{light,dark}, check-failed-light,
 * check-{light,dark} at 1280x800, and install/check at 800x600 in both themes;
 * names-{caddy,nginx}-{light,dark} at 1280x800, names-nginx-{light,dark}-800x600 and
 * names-caddy-dark-800x600.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitForPort } from '../../test/support/ports.js';
import { startV2RayFile, v2rayAvailable, type V2RayProcess } from '../../test/support/v2ray.js';
import { Dashboard } from '../pages/dashboard.js';
import { NamesSetup, ServerSetupCheck } from '../pages/link-setup.js';
import { launchChromium, recordConsoleProblems } from '../support/browser.js';
import { bridgeProfileText, startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';

describe.skipIf(!v2rayAvailable())('Server setup for a V2Ray server: ports, install steps, Check', () => {
  let browser: Browser;
  let page: Page;
  let stack: ServiceStack;
  let web: TestSite;
  let api: TestSite;
  let portal: V2RayProcess | undefined;
  let linkPort = 0;
  let webPort = 0;
  let apiPort = 0;
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    web = await startTestSite('Porthole e2e: web');
    api = await startTestSite('Porthole e2e: api');
    [linkPort = 0, webPort = 0, apiPort = 0] = await freePorts(3);
    stack = await startServiceStack();
    await stack.service.saveProfile('vps', bridgeProfileText(linkPort, 'a V2Ray portal'));
    await stack.service.activateProfile('vps');
    await stack.service.addExposure({ localPort: web.port, name: 'web', publicPort: webPort });
    await stack.service.addExposure({ localPort: api.port, name: 'api', publicPort: apiPort });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboard.origin });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    recordConsoleProblems(page, consoleProblems);
    await new Dashboard(page).open(stack.dashboard.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await portal?.stop();
    await web?.close();
    await api?.close();
  });

  async function runPortal(text: string): Promise<void> {
    await portal?.stop();
    portal = startV2RayFile('config.json', text);
    await waitForPort(linkPort).catch((error: Error) => { throw new Error(`${error.message}: ${portal?.output() ?? ''}`); });
  }

  it('lists the exposures\' public ports and the install steps that open exactly those', async () => {
    const setup = new ServerSetupCheck(page);
    await setup.openFromProfiles('vps');
    const shown = await setup.read();
    expect(shown.exposures).toEqual([`127.0.0.1:${webPort} → 127.0.0.1:${web.port} (web)`, `127.0.0.1:${apiPort} → 127.0.0.1:${api.port} (api)`]);
    const exposures = await stack.service.listExposures();
    expect(await setup.firewallPorts()).toEqual([linkPort, ...exposures.map((exposure) => exposure.publicPort)]);
    expect(await setup.installCommands()).toEqual({
      install: 'sudo apt install v2ray',
      config: 'sudo cp v2ray-portal.json /etc/v2ray/config.json',
      test: 'v2ray -test -config /etc/v2ray/config.json',
      service: 'sudo systemctl enable --now v2ray && sudo systemctl restart v2ray',
      'firewall-ufw': `sudo ufw allow ${linkPort}/tcp && sudo ufw allow ${webPort}/tcp && sudo ufw allow ${apiPort}/tcp`,
      'firewall-firewalld': `sudo firewall-cmd --permanent --add-port=${linkPort}/tcp --add-port=${webPort}/tcp --add-port=${apiPort}/tcp && sudo firewall-cmd --reload`,
    });
    expect(await setup.installCopyButtons()).toHaveLength(7);
    await setup.showInstall();
    await setup.screenshot('server-setup-install-light');
    await setup.close();
    await setup.setTheme('dark');
    await setup.openFromProfiles('vps');
    await setup.showInstall();
    await setup.screenshot('server-setup-install-dark');
    await setup.close();
    await setup.setTheme('light');
  });

  it('Check: a portal missing the api exposure\'s inbound reports it as not set up, the rest passes', async () => {
    const setup = new ServerSetupCheck(page);
    await setup.openFromProfiles('vps');
    const json = JSON.parse(await setup.configText()) as { inbounds: Array<{ port: number }> };
    json.inbounds = json.inbounds.filter((inbound) => inbound.port !== apiPort);
    await runPortal(JSON.stringify(json, null, 2));
    const found = await setup.check();
    expect(found.lines).toEqual([
      'ok: server reachable',
      'ok: link accepted',
      `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
      `failed: exposure api → port ${apiPort} is not set up`,
    ]);
    expect(found.details[3]).toContain('the portal config has no inbound for it');
    expect(found.summary).toBe('1 of 4 steps failed.');
    await setup.screenshot('server-setup-check-failed-light');
    await setup.close();
  });

  it('Check: the portal run from the text as shown passes every step', async () => {
    const setup = new ServerSetupCheck(page);
    await setup.openFromProfiles('vps');
    await runPortal(await setup.configText());
    const found = await setup.check();
    expect(found.lines).toEqual([
      'ok: server reachable',
      'ok: link accepted',
      `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
      `ok: exposure api → port ${apiPort} reaches 127.0.0.1:${api.port}`,
    ]);
    expect(found.summary).toBe('All 4 steps passed: the server is set up.');
    await setup.screenshot('server-setup-check-light');
    await setup.close();

    await setup.setTheme('dark');
    await setup.openFromProfiles('vps');
    expect((await setup.check()).summary).toBe('All 4 steps passed: the server is set up.');
    await setup.screenshot('server-setup-check-dark');
    await page.setViewportSize({ width: 800, height: 600 });
    await setup.showCheck();
    await setup.screenshot('server-setup-check-dark-800x600');
    await setup.showInstall();
    await setup.screenshot('server-setup-install-dark-800x600');
    await setup.close();
    await setup.setTheme('light');
    await setup.openFromProfiles('vps');
    expect((await setup.check()).summary).toBe('All 4 steps passed: the server is set up.');
    await setup.screenshot('server-setup-check-light-800x600');
    await setup.showInstall();
    await setup.screenshot('server-setup-install-light-800x600');
    await setup.close();
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(consoleProblems).toEqual([]);
  });

  it('Names: Caddy or nginx maps https://<label>.<domain> to each dokodemo port; the raw ports close', async () => {
    const setup = new NamesSetup(page);
    await setup.openFromProfiles('vps');
    await setup.pickNames('Caddy');
    // The server is 127.0.0.1: its sslip.io domain is offered and used at once.
    expect(await setup.domain()).toBe('127-0-0-1.sslip.io');
    expect(await setup.urls()).toEqual(['https://web.127-0-0-1.sslip.io', 'https://api.127-0-0-1.sslip.io']);
    const caddy = await setup.snippet();
    expect({ fileName: caddy.fileName, certbot: caddy.certbot }).toEqual({ fileName: 'porthole-names.caddy', certbot: null });
    expect(caddy.text).toContain(`web.127-0-0-1.sslip.io {\n\treverse_proxy 127.0.0.1:${webPort}\n}`);
    expect(caddy.text).toContain(`api.127-0-0-1.sslip.io {\n\treverse_proxy 127.0.0.1:${apiPort}\n}`);
    expect(caddy.command).toContain('import /etc/caddy/porthole-names.caddy');
    expect(await setup.firewallPorts()).toEqual([linkPort, 80, 443]);
    await setup.showNames();
    await setup.screenshot('server-setup-names-caddy-light');
    expect(await setup.copy('porthole-names.caddy')).toBe(caddy.text);

    await setup.applyDomain('Tunnel.Example.com');
    expect(await setup.urls()).toEqual(['https://web.tunnel.example.com', 'https://api.tunnel.example.com']);
    await setup.pickNames('nginx');
    const nginx = await setup.snippet();
    expect(nginx.fileName).toBe('porthole-names.nginx.conf');
    expect(nginx.text).toContain(`    server_name web.tunnel.example.com;\n    ssl_certificate /etc/letsencrypt/live/web.tunnel.example.com/fullchain.pem;`);
    expect(nginx.text).toContain(`proxy_pass http://127.0.0.1:${apiPort};`);
    expect(nginx.certbot).toContain('sudo certbot certonly --nginx --cert-name api.tunnel.example.com -d api.tunnel.example.com');
    await setup.showNames();
    await setup.screenshot('server-setup-names-nginx-light');
    await page.setViewportSize({ width: 800, height: 600 });
    await setup.showNames();
    await setup.screenshot('server-setup-names-nginx-light-800x600');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await setup.copy('the certbot command')).toBe(nginx.certbot);
    expect(await setup.copy('porthole-names.nginx.conf')).toBe(nginx.text);
    expect(await setup.copy('the address of api')).toBe('https://api.tunnel.example.com');

    // A bad domain is said in one line, and None undoes it.
    await setup.applyDomain('not a domain');
    expect(await setup.errorText()).toContain('Check the names domain. Names domain "not a domain" is not a domain name');
    await setup.pickNames('None');
    expect(await setup.firewallPorts()).toEqual([linkPort, webPort, apiPort]);
    await setup.close();

    await setup.setTheme('dark');
    await setup.openFromProfiles('vps');
    await setup.pickNames('Caddy');
    await setup.showNames();
    await setup.screenshot('server-setup-names-caddy-dark');
    await page.setViewportSize({ width: 800, height: 600 });
    await setup.showNames();
    await setup.screenshot('server-setup-names-caddy-dark-800x600');
    await page.setViewportSize({ width: 1280, height: 800 });
    await setup.pickNames('nginx');
    await setup.showNames();
    await setup.screenshot('server-setup-names-nginx-dark');
    await page.setViewportSize({ width: 800, height: 600 });
    await setup.showNames();
    await setup.screenshot('server-setup-names-nginx-dark-800x600');
    await page.setViewportSize({ width: 1280, height: 800 });
    await setup.close();
    await setup.setTheme('light');
    // The refused bad domain answers 422 with its envelope (shown inline); Chromium logs the status too.
    expect(consoleProblems.filter((problem) => !problem.includes('status of 422'))).toEqual([]);
  });
});
