import { describe, expect, it } from 'vitest';
import type { BridgeState, EngineStatus, ExposureStatus } from '../../src-core/host/api/index.js';
import { currentProblems, firstProblemTitle, type ProblemInput } from './problems.js';

const running: EngineStatus = { state: 'running', profile: 'vps', since: 0, error: null, listening: [] };

function bridge(problem: BridgeState['problem'], linkState: BridgeState['linkState'] = 'down'): BridgeState {
  return { tag: 'bridge', domain: 'private.cloud.com', activeLinks: 0, workers: 0, openStreams: 0, linkState, problem };
}

function exposure(overrides: Partial<ExposureStatus>): ExposureStatus {
  return {
    id: 'e-00000001', name: 'web', localHost: '127.0.0.1', localPort: 3999, publicPort: null, enabled: true, createdAt: 0,
    state: 'live', publicAddress: '127.0.0.1:20000', portalKind: 'local', problem: null, localReachable: true,
    bytesUp: 0, bytesDown: 0, upRate: 0, downRate: 0, openConnections: 0, ...overrides,
  };
}

const base: ProblemInput = { linkStatus: 'live', status: running, bridges: [], exposures: [], localPortal: null };

describe('the problem banner', () => {
  it('says nothing while everything works', () => {
    expect(currentProblems({ ...base, bridges: [bridge(null, 'up')], exposures: [exposure({})] })).toEqual([]);
  });

  it('puts the lost service first, alone: nothing else is known then', () => {
    const problems = currentProblems({ ...base, linkStatus: 'offline', exposures: [exposure({ state: 'local-down', localReachable: false })] });
    expect(problems.map((problem) => problem.kind)).toEqual(['dashboard-offline']);
    expect(problems[0]?.title).toBe('Reconnecting to the Porthole service…');
    expect(firstProblemTitle({ ...base, linkStatus: 'offline' })).toBeNull();
  });

  it('names a refused portal with its address and what to do', () => {
    const [problem] = currentProblems({ ...base, bridges: [bridge({ code: 'PH_DIAL_REFUSED', message: 'could not open a link to the portal: dial 127.0.0.1:1 > connect ECONNREFUSED 127.0.0.1:1: is the portal running, on that address and port?' })] });
    expect(problem).toMatchObject({ kind: 'portal-refused', tone: 'danger', title: 'Your server refuses the link at 127.0.0.1:1: nothing listens there' });
    expect(problem?.action).toMatch(/Server setup/);
  });

  it('tells a DNS failure apart from a refusal, naming the host', () => {
    const [problem] = currentProblems({ ...base, bridges: [bridge({ code: 'PH_DIAL_FAILED', message: 'could not open a link to the portal: dial vps.example.invalid:443 > getaddrinfo ENOTFOUND vps.example.invalid' })] });
    expect(problem).toMatchObject({ kind: 'portal-dns', title: 'Cannot find your server: the name vps.example.invalid does not resolve (DNS)' });
  });

  it('says nothing about a bridge whose link is up again, or while the engine is stopped', () => {
    const refused = { code: 'PH_DIAL_REFUSED', message: 'dial 127.0.0.1:1' };
    expect(currentProblems({ ...base, bridges: [bridge(refused, 'up')] })).toEqual([]);
    expect(currentProblems({ ...base, status: { ...running, state: 'stopped' }, bridges: [bridge(refused)] })).toEqual([]);
  });

  it('names an exposure whose local port is closed, and counts the rest', () => {
    const problems = currentProblems({
      ...base,
      bridges: [bridge({ code: 'PH_DIAL_TIMEOUT', message: 'could not open a link to the portal: dial 10.0.0.1:443: timed out after 10000 ms' })],
      exposures: [exposure({ state: 'local-down', localReachable: false })],
    });
    expect(problems.map((problem) => problem.kind)).toEqual(['portal-timeout', 'local-down']);
    expect(problems[1]?.title).toBe('Nothing answers on 127.0.0.1:3999 (“web”)');
    expect(problems[1]?.action).toMatch(/127\.0\.0\.1:20000 is open, but visitors get no answer/);
  });
});
