/**
 * One banner at the top of the window for what stops Porthole from working (issue 4/7): the
 * dashboard lost its service, the portal cannot be reached (refused, DNS, timeout), nothing
 * answers on an exposure's local port. Says the cause and what to do; the rest are counted.
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { currentProblems } from '../state/problems.js';
import { useAppStore } from '../state/store.js';

export const PROBLEM_BANNER_ID = 'problem-banner';

export function ProblemBanner() {
  const input = useAppStore(useShallow((state) => ({
    linkStatus: state.linkStatus, status: state.status, bridges: state.bridges, exposures: state.exposures, localPortal: state.localPortal,
  })));
  const problems = useMemo(() => currentProblems(input), [input]);
  const first = problems[0];
  if (!first) return null;
  const more = problems.length - 1;
  return (
    <div
      className={`problem-banner ${first.tone}`}
      id={PROBLEM_BANNER_ID}
      role={first.tone === 'danger' ? 'alert' : 'status'}
      data-testid="problem-banner"
      data-kind={first.kind}
    >
      <span className="problem-icon" aria-hidden="true">{first.tone === 'danger' ? '!' : 'i'}</span>
      <div className="problem-text">
        <div className="problem-title" data-testid="problem-title">{first.title}</div>
        <div className="problem-action" data-testid="problem-action">{first.action}</div>
        {first.detail ? <div className="problem-detail mono" data-testid="problem-detail" title={first.detail}>{first.detail}</div> : null}
      </div>
      <div className="problem-links">
        {first.link && !window.location.hash.startsWith(first.link.href) ? <a className="button small" href={first.link.href}>{first.link.label}</a> : null}
        {more > 0 ? <span className="faint problem-more" data-testid="problem-more">+{more} more</span> : null}
      </div>
    </div>
  );
}
