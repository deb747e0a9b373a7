/**
 * Overview: the one click (Expose localhost:80) and the exposures with their public addresses,
 * rates and totals, the 5-minute graph, bridges and portals with their links, and a quiet line
 * on how VMess is encrypted when that is not the usual path (`EngineStatus.cryptoNotice`).
 */
import { useShallow } from 'zustand/react/shallow';
import type { ErrorEnvelope, ExposureStatus } from '../../src-core/host/api/index.js';
import { CertificateLine } from '../components/CertificateLine.js';
import { EmptyState } from '../components/EmptyState.js';
import { AlertIcon, GlobeIcon, PlayIcon, PlugIcon, PlusIcon, ServerIcon } from '../components/Icons.js';
import { ExposureStatePill, LinkStatePill } from '../components/StatusPill.js';
import { TrafficChart } from '../components/TrafficChart.js';
import { formatBytes, formatRate } from '../format.js';
import { describeLinkProblem } from '../state/bridges.js';
import { exposureProblem, localAddressOf, ONE_CLICK, ONE_CLICK_PORT } from '../state/exposures.js';
import { useAppStore } from '../state/store.js';
import { NEW_EXPOSURE_HASH, PauseControl, portalKindOf, PublicAddress, ServerSetupButton } from './ExposuresPage.js';

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function OverviewExposure({ exposure, fresh }: { exposure: ExposureStatus; fresh: boolean }) {
  const problem = exposureProblem(exposure);
  const local = localAddressOf(exposure);
  return (
    <li className={`overview-exposure${fresh ? ' fresh' : ''}`} data-testid="overview-exposure" data-local={local} data-state={exposure.state}>
      <div className="exposure-name">
        <span className="title">{exposure.name}</span>
        <span className="mono faint">{local}</span>
      </div>
      <ExposureStatePill state={exposure.state} />
      <div className="exposure-address"><PublicAddress exposure={exposure} /></div>
      <span className="rate-cell num"><span className="u">↑ {formatRate(exposure.upRate)}</span><span className="d">↓ {formatRate(exposure.downRate)}</span></span>
      {problem ? <div className={`exposure-problem ${problem.tone}`} data-testid="exposure-problem">{problem.text}</div> : null}
    </li>
  );
}

/** Why a bridge has no link: a headline in plain words, then the engine's line (as logged, naming the peer). */
function BridgeProblem({ problem }: { problem: ErrorEnvelope }) {
  const view = describeLinkProblem(problem);
  return (
    <div className="endpoint-problem" role="status" data-testid="bridge-problem" data-code={problem.code}>
      <AlertIcon />
      <span><b>{view.title}.</b> <span className="mono">{view.detail}</span></span>
    </div>
  );
}

const FRESH_MS = 4000;

const PORTAL_HINT = {
  local: 'built-in portal on this machine',
  porthole: 'through your Porthole server',
  v2ray: 'through your V2Ray server',
} as const;

/** The one click and what is exposed: first on the page, since it is what most people came for. */
function ExposuresCard() {
  const { exposures, addExposure, busy, error, dismiss, lastAdded, lastAddedAt } = useAppStore(useShallow((state) => ({
    exposures: state.exposures, addExposure: state.addExposure, busy: ONE_CLICK in state.exposureBusy, error: state.exposureErrors[ONE_CLICK] ?? null,
    dismiss: state.dismissExposureError, lastAdded: state.lastAddedExposure, lastAddedAt: state.lastAddedAt,
  })));
  // Highlight what the click just added, briefly (not again each time the page is opened).
  const fresh = lastAdded !== null && Date.now() - lastAddedAt < FRESH_MS ? lastAdded : null;
  const portal = portalKindOf(exposures);
  // No profile: exposures go through the built-in portal, so offer the way to a real server.
  const noServer = useAppStore((state) => state.status !== null && !state.status.profile);
  return (
    <section className="card expose-card" aria-labelledby="expose-title">
      <div className="card-header">
        <h2 id="expose-title">Exposures</h2>
        <span className="faint">{portal ? PORTAL_HINT[portal] : 'local services with a public address'}</span>
        {/* One group: when the header is too narrow it moves to its own line whole, right-aligned. */}
        <div className="card-header-actions">
          <PauseControl compact />
          {portal === 'v2ray' ? <ServerSetupButton /> : null}
          {noServer ? <a className="button small" href="#/remote-setup" data-testid="remote-setup-open"><ServerIcon />Set up my server…</a> : null}
          <a className="button small" href={NEW_EXPOSURE_HASH}><PlusIcon />Expose a port…</a>
          <button type="button" className="button primary" disabled={busy} onClick={() => void addExposure({ localPort: ONE_CLICK_PORT }, ONE_CLICK)}>
            <GlobeIcon small />{busy ? 'Exposing…' : `Expose localhost:${ONE_CLICK_PORT}`}
          </button>
        </div>
      </div>
      {error ? (
        <div className="notice error flat" role="alert" data-testid="one-click-error">
          <span className="grow">{error.message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(ONE_CLICK)}>×</button>
        </div>
      ) : null}
      {exposures.length === 0 ? (
        <p className="card-body muted expose-intro">
          One click gives a local web server a public address to share. With no server configured, Porthole’s built-in portal opens the port on this machine; point a bridge profile at your own server later and the exposure moves with it.
        </p>
      ) : (
        <ul className="overview-exposures" aria-label="Exposed services">
          {exposures.map((exposure) => <OverviewExposure key={exposure.id} exposure={exposure} fresh={exposure.id === fresh} />)}
        </ul>
      )}
    </section>
  );
}

export function OverviewPage({ theme }: { theme: string }) {
  const totals = useAppStore((state) => state.totals);
  const total = useAppStore((state) => state.total);
  const trafficMarks = useAppStore((state) => state.trafficMarks);
  const { status, bridges, portals, certificates, snapshotTime } = useAppStore(useShallow((state) => ({
    status: state.status, bridges: state.bridges, portals: state.portals, certificates: state.certificates, snapshotTime: state.snapshotTime,
  })));
  const { startEngine, engineBusy } = useAppStore(useShallow((state) => ({ startEngine: state.startEngine, engineBusy: state.engineBusy })));
  const running = status?.state === 'running';
  const links = portals.reduce((sum, portal) => sum + portal.links, 0) + bridges.reduce((sum, bridge) => sum + bridge.activeLinks, 0);

  return (
    <div className="stack">
      <ExposuresCard />
      <div className="grid stats">
        <section className="card stat" aria-label="Upload">
          <div className="label"><span className="swatch up" />Upload</div>
          <div className="value num" data-testid="total-up-rate">{formatRate(totals.upRate)}</div>
          <div className="sub num">{formatBytes(totals.bytesUp)} since start</div>
        </section>
        <section className="card stat" aria-label="Download">
          <div className="label"><span className="swatch down" />Download</div>
          <div className="value num" data-testid="total-down-rate">{formatRate(totals.downRate)}</div>
          <div className="sub num">{formatBytes(totals.bytesDown)} since start</div>
        </section>
        <section className="card stat" aria-label="Open connections">
          <div className="label">Open connections</div>
          <div className="value num" data-testid="open-connections">{totals.openConnections}</div>
          <div className="sub">through the tunnel and inbounds</div>
        </section>
        <section className="card stat" aria-label="Links">
          <div className="label">Tunnel links</div>
          <div className="value num">{links}</div>
          <div className="sub">{plural(bridges.length, 'bridge')}, {plural(portals.length, 'portal')}</div>
        </section>
      </div>

      <section className="card" aria-labelledby="traffic-title">
        <div className="card-header">
          <h2 id="traffic-title">Traffic, last 5 minutes</h2>
          <div className="legend">
            <span><span className="swatch up" />Up <b className="num">{formatRate(totals.upRate)}</b></span>
            <span><span className="swatch down" />Down <b className="num">{formatRate(totals.downRate)}</b></span>
          </div>
        </div>
        <div className="card-body">
          <TrafficChart points={total} marks={trafficMarks} windowMs={300_000} height={200} theme={theme} label="Total upload and download rate over the last 5 minutes" />
        </div>
      </section>

      {!running ? (
        <section className="card">
          <EmptyState
            icon={<PlugIcon />}
            title={status?.state === 'failed' ? 'The engine could not start' : 'The engine is stopped'}
            actions={(
              <>
                {status?.profile ? <button type="button" className="button primary" onClick={() => void startEngine()} disabled={engineBusy}><PlayIcon />Start engine</button> : null}
                <a className={status?.profile ? 'button' : 'button primary'} href="#/profiles">Open Profiles</a>
              </>
            )}
          >
            {status?.error ? status.error.message : status?.profile ? `Start it to run the profile "${status.profile}".` : `Click Expose localhost:${ONE_CLICK_PORT} above to try it on this machine, or pick or import a V2Ray config in Profiles and activate it.`}
          </EmptyState>
        </section>
      ) : (
        <div className="grid two">
          <section className="card" aria-labelledby="bridges-title">
            <div className="card-header"><h2 id="bridges-title">Bridges</h2><span className="faint">private side: dials the portal</span></div>
            {bridges.length === 0 ? (
              <p className="card-body muted">This profile has no bridge (<code>reverse.bridges</code> is empty).</p>
            ) : (
              <div className="endpoint-list">
                {bridges.map((bridge) => (
                  <div className="endpoint" key={bridge.tag} data-testid="bridge">
                    <div className="name">{bridge.tag}<span className="faint mono">{bridge.domain}</span></div>
                    <LinkStatePill state={bridge.linkState} />
                    <div className="detail num">
                      <span><b>{bridge.activeLinks}</b> active {bridge.activeLinks === 1 ? 'link' : 'links'}</span>
                      <span><b>{bridge.workers}</b> {bridge.workers === 1 ? 'worker' : 'workers'}</span>
                      <span><b>{bridge.openStreams}</b> open {bridge.openStreams === 1 ? 'stream' : 'streams'}</span>
                    </div>
                    {bridge.problem ? <BridgeProblem problem={bridge.problem} /> : null}
                  </div>
                ))}
              </div>
            )}
          </section>
          <section className="card" aria-labelledby="portals-title">
            <div className="card-header"><h2 id="portals-title">Portals</h2><span className="faint">public side: carries internet traffic to bridges</span></div>
            {portals.length === 0 ? (
              <p className="card-body muted">This profile has no portal (<code>reverse.portals</code> is empty).</p>
            ) : (
              <div className="endpoint-list">
                {portals.map((portal) => {
                  const peak = Math.max(1, ...portal.linkLoads);
                  return (
                    <div className="endpoint" key={portal.tag} data-testid="portal">
                      <div className="name">{portal.tag}<span className="faint mono">{portal.domain}</span></div>
                      <LinkStatePill state={portal.linkState} />
                      <div className="detail num">
                        <span><b>{portal.links}</b> bridge {portal.links === 1 ? 'link' : 'links'}</span>
                        <span><b>{portal.openStreams}</b> open {portal.openStreams === 1 ? 'stream' : 'streams'}</span>
                        <span><b>{portal.drainedLinks}</b> drained</span>
                        {portal.linkLoads.length > 0 ? (
                          <span className="row" title={`streams per link: ${portal.linkLoads.join(', ')}`}>
                            load
                            <span className="loads" aria-label={`streams per link: ${portal.linkLoads.join(', ')}`}>
                              {portal.linkLoads.map((load, index) => <span key={index} style={{ height: `${Math.round((load / peak) * 100)}%` }} />)}
                            </span>
                          </span>
                        ) : null}
                      </div>
                      {portal.publicPorts.length > 0 ? (
                        <ul className="public-ports" aria-label={`Public ports ${portal.tag} opened for bridges`} data-testid="portal-public-ports">
                          {portal.publicPorts.map((open) => (
                            <li key={open.id} className="faint">
                              <span className="mono">:{open.port}</span> → bridge’s <span className="mono">{open.local}</span> ({open.name || open.id})
                            </li>
                          ))}
                        </ul>
                      ) : null}
                    </div>
                  );
                })}
              </div>
            )}
          </section>
        </div>
      )}

      {running && status && status.listening.length > 0 ? (
        <section className="card" aria-labelledby="listening-title">
          <div className="card-header"><h2 id="listening-title">Listening</h2><span className="faint">profile “{status.profile}”</span></div>
          <dl className="card-body kv">
            {status.listening.map((entry, index) => {
              // Its inbound's certificate, under the first of its addresses (a port range lists several).
              const first = status.listening.findIndex((other) => other.tag === entry.tag) === index;
              const certificate = first ? certificates.find((candidate) => candidate.inboundTag === entry.tag) : undefined;
              return (
                <div key={`${entry.tag}-${entry.address}`} style={{ display: 'contents' }}>
                  <dt>{entry.tag || 'untagged'}</dt>
                  <dd>
                    <span className="mono">{entry.address}</span>
                    {certificate ? <CertificateLine certificate={certificate} now={snapshotTime} /> : null}
                  </dd>
                </div>
              );
            })}
          </dl>
        </section>
      ) : null}
      {running && status?.cryptoNotice ? <p className="faint engine-note" data-testid="crypto-notice">{status.cryptoNotice}</p> : null}
    </div>
  );
}
