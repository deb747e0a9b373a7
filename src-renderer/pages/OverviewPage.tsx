/** Overview: rates and totals, the 5-minute graph, bridges and portals with their links. */
import { useShallow } from 'zustand/react/shallow';
import { EmptyState } from '../components/EmptyState.js';
import { PlayIcon, PlugIcon } from '../components/Icons.js';
import { LinkStatePill } from '../components/StatusPill.js';
import { TrafficChart } from '../components/TrafficChart.js';
import { formatBytes, formatRate } from '../format.js';
import { useAppStore } from '../state/store.js';

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function OverviewPage({ theme }: { theme: string }) {
  const totals = useAppStore((state) => state.totals);
  const total = useAppStore((state) => state.total);
  const { status, bridges, portals } = useAppStore(useShallow((state) => ({ status: state.status, bridges: state.bridges, portals: state.portals })));
  const { startEngine, engineBusy } = useAppStore(useShallow((state) => ({ startEngine: state.startEngine, engineBusy: state.engineBusy })));
  const running = status?.state === 'running';
  const links = portals.reduce((sum, portal) => sum + portal.links, 0) + bridges.reduce((sum, bridge) => sum + bridge.activeLinks, 0);

  return (
    <div className="stack">
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
          <TrafficChart points={total} windowMs={300_000} height={200} theme={theme} label="Total upload and download rate over the last 5 minutes" />
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
            {status?.error ? status.error.message : status?.profile ? `Start it to run the profile "${status.profile}".` : 'Pick or import a V2Ray config in Profiles and activate it.'}
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
            {status.listening.map((entry) => (
              <div key={`${entry.tag}-${entry.address}`} style={{ display: 'contents' }}>
                <dt>{entry.tag || 'untagged'}</dt>
                <dd className="mono">{entry.address}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
    </div>
  );
}
