/**
 * An exposure's own domain in the service: checked at the method table, kept in the settings
 * file, sent to the engine, and left out (with the portal's reason) where the portal does not
 * serve names of the user's own, without taking the exposure down.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkArguments, customDomainProblem } from '../api/index.js';
import type { AgentExposureStatus } from '../../engine/app/exposures/exposure-agent.js';
import { NO_NAMES } from '../../engine/app/exposures/exposure-names.js';
import { hostnameProblem } from '../../engine/common/hostname.js';
import type { Instance } from '../../engine/instance.js';
import { addExposure, exposureSpecs, patchExposure, publicExposure, type StoredExposure } from './exposure-list.js';
import { PortalNames } from './portal-names.js';
import { SettingsStore } from './settings-store.js';

const folders: string[] = [];
afterEach(() => { for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true }); });

const OWN_REFUSAL = 'this portal does not serve names of your own: ask its owner to set "customDomains": true';

/** An engine whose portal answers are set by the test (PortalNames reads only `exposures.status`). */
function engineAnswering(answers: Record<string, AgentExposureStatus>): Instance {
  return { exposures: { status: (id: string) => answers[id] } } as unknown as Instance;
}
const refused = (message: string): AgentExposureStatus => ({ state: 'refused', publicAddress: null, urls: [], problem: { code: 'PH_EXPOSE_NO_NAMES', message } });
const live: AgentExposureStatus = { state: 'live', publicAddress: '203.0.113.5:20001', urls: ['https://web.tunnel.test'], problem: null };

describe('an exposure\'s own domain', () => {
  it.each([
    ['shop.example.com', true], ['a.b', true], ['xn--bcher-kva.example', true], ['example', false], ['shop..example.com', false],
    ['-shop.example.com', false], ['shop_1.example.com', false], ['203.0.113.5', false], [`${'a'.repeat(64)}.com`, false], [`${'a.'.repeat(127)}com`, false],
  ])('%s is a domain: %s (as the portal checks it)', (name, ok) => {
    expect(customDomainProblem(name) === null).toBe(ok);
    expect(hostnameProblem(name) === undefined).toBe(ok);
  });

  it('the method table takes it in lower case without a trailing dot, null clears it, a bad one is one line naming it', () => {
    expect(checkArguments('addExposure', [{ localPort: 3000, customDomain: ' Shop.Example.com. ' }])).toEqual({ ok: true, args: [{ localPort: 3000, customDomain: 'shop.example.com' }] });
    expect(checkArguments('updateExposure', ['e-0123abcd', { customDomain: null }])).toEqual({ ok: true, args: ['e-0123abcd', { customDomain: null }] });
    expect(checkArguments('updateExposure', ['e-0123abcd', { customDomain: 'shop' }]))
      .toMatchObject({ ok: false, message: 'updateExposure: argument 1.customDomain: a domain needs at least two parts, like shop.example.com' });
    expect(checkArguments('updateExposure', ['e-0123abcd', { customDomain: 'my shop.com' }])).toMatchObject({ ok: false, message: expect.stringContaining('"my shop" in "my shop.com"') });
  });

  it('is kept on add and patch, unique among the user\'s exposures, cleared with null, and sent to the engine', () => {
    const list: StoredExposure[] = [];
    const { exposure: web } = addExposure(list, { localPort: 3000, name: 'web', customDomain: 'shop.example.com' });
    const { exposure: api } = addExposure(list, { localPort: 4000, name: 'api' });
    expect(publicExposure(web).customDomain).toBe('shop.example.com');
    expect('customDomain' in publicExposure(api)).toBe(false);
    expect(() => patchExposure(api, { customDomain: 'shop.example.com' }, list)).toThrow('domain "shop.example.com" is already used by your exposure "web" (nothing was changed)');
    expect(() => addExposure(list, { localPort: 3000, customDomain: 'other.example.com' })).toThrow('edit it to change its address name');
    patchExposure(api, { customDomain: 'api.example.com' }, list);
    expect(exposureSpecs(list, false).map((spec) => [spec.label, spec.customDomain])).toEqual([['web', 'shop.example.com'], ['api', 'api.example.com']]);
    // Left out where the portal does not serve it, kept in the list.
    expect(exposureSpecs(list, false, true, new Set([api.id])).map((spec) => spec.customDomain)).toEqual(['shop.example.com', undefined]);
    patchExposure(web, { customDomain: null }, list);
    expect(web.customDomain).toBeUndefined();
  });

  it('is saved and read back; a damaged or repeated one is dropped and its exposure kept', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-domain-'));
    folders.push(folder);
    const path = join(folder, 'settings.json');
    const store = new SettingsStore(path);
    const state = await store.load();
    addExposure(state.exposures, { localPort: 3000, name: 'web', customDomain: 'shop.example.com' });
    await store.save(state);
    expect(JSON.parse(readFileSync(path, 'utf8')).exposures[0].customDomain).toBe('shop.example.com');
    expect((await new SettingsStore(path).load()).exposures[0]?.customDomain).toBe('shop.example.com');

    writeFileSync(path, JSON.stringify({ exposures: [
      { id: 'e-0000000a', localHost: '127.0.0.1', localPort: 80, customDomain: 'shop.example.com' },
      { id: 'e-0000000b', localHost: '127.0.0.1', localPort: 81, customDomain: 'shop.example.com' },
      { id: 'e-0000000c', localHost: '127.0.0.1', localPort: 82, customDomain: 'not a domain' },
    ] }));
    const read = await new SettingsStore(path).load();
    expect(read.exposures.map((exposure) => exposure.customDomain)).toEqual(['shop.example.com', undefined, undefined]);
  });

  it('a portal that serves no own domains: left out for that exposure with the reason, asked again once the links come back', () => {
    const names = new PortalNames();
    const answers: Record<string, AgentExposureStatus> = { a: refused(OWN_REFUSAL), b: live };
    const engine = engineAnswering(answers);
    const domains: Record<string, string | undefined> = { a: 'shop.example.com', b: undefined };
    const domainOf = (id: string) => domains[id];
    expect(names.observe(engine, ['a', 'b'], domainOf)).toBe(true);
    expect([...names.withoutCustomDomain(engine, domainOf)]).toEqual(['a']);
    expect(names.customDomainRefusal(engine, 'a', 'shop.example.com')).toBe(OWN_REFUSAL);
    // Labels are still asked for; the stale refusal (before the engine asked again) changes nothing.
    expect([names.asksNames(engine), names.observe(engine, ['a', 'b'], domainOf)]).toEqual([true, false]);
    // Another domain typed in: asked for again.
    domains.a = 'other.example.com';
    expect([[...names.withoutCustomDomain(engine, domainOf)], names.customDomainRefusal(engine, 'a', 'other.example.com')]).toEqual([[], null]);
    domains.a = 'shop.example.com';
    answers.a = live;
    answers.b = { state: 'offline', publicAddress: null, urls: [], problem: null };
    expect(names.observe(engine, ['a', 'b'], domainOf)).toBe(true);
    expect(names.withoutCustomDomain(engine, domainOf).size).toBe(0);
  });

  it('a portal with no names at all: the label goes first (its reason is the portal\'s), then the own domain', () => {
    const names = new PortalNames();
    const answers: Record<string, AgentExposureStatus> = { a: refused(NO_NAMES) };
    const engine = engineAnswering(answers);
    const domainOf = () => 'shop.example.com';
    expect(names.observe(engine, ['a'], domainOf)).toBe(true);
    expect([names.asksNames(engine), names.withoutCustomDomain(engine, domainOf).size]).toEqual([false, 0]);
    answers.a = refused(OWN_REFUSAL);
    expect(names.observe(engine, ['a'], domainOf)).toBe(true);
    expect([names.asksNames(engine), [...names.withoutCustomDomain(engine, domainOf)]]).toEqual([false, ['a']]);
    // A new engine asks with everything again.
    expect(names.customDomainRefusal(engineAnswering({}), 'a', 'shop.example.com')).toBeNull();
  });
});
