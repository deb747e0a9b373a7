/**
 * A finished setup: what bridges dial, the profile now active here, and the public address of each
 * exposure (with Copy); or, after a removal, that the server is clean again.
 */
import type { Ref } from 'react';
import type { RemoteSetup } from '../../../src-core/host/api/index.js';
import { transportLabel } from '../../state/remote-setup.js';
import { useAppStore } from '../../state/store.js';
import { CopyButton } from '../CopyButton.js';
import { CheckIcon, PlusIcon } from '../Icons.js';

/** `headingRef`: where the focus goes once the run is done. */
export function SetupResult({ run, headingRef }: { run: RemoteSetup; headingRef?: Ref<HTMLElement> }) {
  const names = useAppStore((state) => state.exposures);
  const result = run.result;
  if (!result) return null;
  const nameOf = (id: string) => names.find((exposure) => exposure.id === id)?.name ?? null;
  return (
    <section className="rs-result" aria-labelledby="remote-setup-result-title" data-testid="remote-setup-result">
      <h3 id="remote-setup-result-title" tabIndex={-1} ref={headingRef as Ref<HTMLHeadingElement>}><span className="rs-result-mark" aria-hidden="true"><CheckIcon /></span>{run.target.host} is set up</h3>
      <dl className="rs-facts">
        <div>
          <dt>Bridges dial</dt>
          <dd>
            <code className="mono rs-address" data-testid="remote-setup-link-address">{result.linkAddress}</code>
            <span className="faint">{transportLabel(result.transport)}</span>
            <CopyButton text={result.linkAddress} what="the link address" />
          </dd>
        </div>
        <div>
          <dt>This machine</dt>
          <dd>
            <span data-testid="remote-setup-profile">“{result.profile}”</span> <span className="badge ok">active</span>
            <a className="rs-link" href="#/profiles">Open Profiles</a>
          </dd>
        </div>
      </dl>
      <div className="rs-exposures">
        <h4 className="label">Public addresses</h4>
        {result.exposures.length === 0 ? (
          <p className="muted rs-none">
            Nothing is exposed yet. <a className="button small" href="#/exposures/new"><PlusIcon />Expose a port…</a>
            <span className="rs-none-after">and it gets a public address on this server.</span>
          </p>
        ) : (
          <ul aria-label="Public addresses" data-testid="remote-setup-exposures">
            {result.exposures.map((exposure) => (
              <li key={exposure.id}>
                {nameOf(exposure.id) ? <span className="rs-exposure-name">{nameOf(exposure.id)}</span> : null}
                <code className="mono rs-address" data-testid="remote-setup-exposure-url">{exposure.url}</code>
                <CopyButton text={exposure.url} what={`the address ${exposure.url}`} />
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
