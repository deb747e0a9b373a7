import { describe, expect, it } from 'vitest';
import { hostnameProblem, labelProblem } from './hostname.js';

describe('host names at the edge', () => {
  it.each([
    ['app', undefined], ['a', undefined], ['my-app-2', undefined], ['x'.repeat(63), undefined],
    ['', 'it is empty'], ['-app', 'use only'], ['app-', 'use only'], ['App', 'use only'], ['a_b', 'use only'],
    ['x'.repeat(64), 'at most 63'], ['a.b', 'use only'],
  ])('label %j', (label, problem) => {
    if (problem === undefined) expect(labelProblem(label)).toBeUndefined();
    else expect(labelProblem(label)).toContain(problem);
  });

  it.each([
    ['tunnel.example.com', undefined], ['localhost', undefined], ['203-0-113-5.sslip.io', undefined],
    ['com', 'two labels'], ['a..b', 'label ""'], ['10.0.0.1', 'IP address'], [`${'a'.repeat(60)}.`.repeat(5) + 'com', 'at most 253'],
  ])('name %j', (name, problem) => {
    if (problem === undefined) expect(hostnameProblem(name)).toBeUndefined();
    else expect(hostnameProblem(name)).toContain(problem);
  });
});
