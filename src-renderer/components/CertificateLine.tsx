/**
 * How a certificate the engine gets itself stands, under the inbound that presents it: issued
 * (until when, from which CA), being ordered, or failed with the CA's reason and the next try.
 * A renewal that failed while the old certificate still serves shows both.
 */
import type { EngineCertificate } from '../../src-core/host/api/index.js';
import { asSentence, formatClock } from '../format.js';

function day(time: number): string {
  return new Date(time).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "at 14:05:00" today, else "on 8 Dec 2026, 14:05:00". */
function when(time: number, now: number): string {
  return new Date(time).toDateString() === new Date(now).toDateString() ? `at ${formatClock(time)}` : `on ${day(time)}, ${formatClock(time)}`;
}

export function CertificateLine({ certificate, now }: { certificate: EngineCertificate; now: number }) {
  const { name, authority, state, notAfter, reason, retryAt } = certificate;
  const retry = retryAt ? ` Next try ${when(retryAt, now)}.` : '';
  return (
    <div className={`certificate-line ${state}`} data-testid="engine-certificate" data-state={state}>
      <span className={`pill ${state === 'issued' ? 'ok' : state === 'pending' ? 'warn' : 'danger'}`}>
        {state === 'issued' ? 'Certificate' : state === 'pending' ? 'Ordering' : 'No certificate'}
      </span>
      <span className="certificate-text">
        {state === 'issued' ? (
          <>for <span className="mono">{name}</span> from {authority}{notAfter ? <>, valid until {day(notAfter)}</> : null}</>
        ) : state === 'pending' ? (
          <>for <span className="mono">{name}</span>: being ordered from {authority}; bridges link once it is issued</>
        ) : (
          <>for <span className="mono">{name}</span> from {authority} yet</>
        )}
        {reason ? <span className="certificate-reason" role={state === 'failed' ? 'alert' : undefined}>{state === 'issued' ? 'Renewal failed: ' : ''}{asSentence(reason)}{retry}</span> : null}
      </span>
    </div>
  );
}
