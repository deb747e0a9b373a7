/**
 * Traffic per exposure and per tag, over 1 min, 5 min (1 s points) or 1 h (10 s points). An
 * exposure's connections carry the outbound tag `exposure:<id>`: those series show under the
 * exposure's name, apart from the config's own tags.
 */
import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { TagTraffic, TrafficPoint, TrafficWindow } from '../../src-core/host/api/index.js';
import { EmptyState } from '../components/EmptyState.js';
import { GlobeIcon, TrafficIcon } from '../components/Icons.js';
import { TrafficChart } from '../components/TrafficChart.js';
import { formatBytes, formatRate } from '../format.js';
import { localAddressOf, splitExposureTags } from '../state/exposures.js';
import { tagKey } from '../state/traffic.js';
import { useAppStore } from '../state/store.js';

const WINDOWS: { value: TrafficWindow; label: string; ms: number }[] = [
  { value: '1m', label: '1 min', ms: 60_000 },
  { value: '5m', label: '5 min', ms: 300_000 },
  { value: '1h', label: '1 hour', ms: 3_600_000 },
];

const HOUR_REFRESH_MS = 10_000;

function lastSeconds(points: readonly TrafficPoint[] | undefined, ms: number): TrafficPoint[] {
  if (!points || points.length === 0) return [];
  const end = points[points.length - 1]?.time ?? 0;
  return points.filter((point) => point.time > end - ms);
}

export function TrafficPage({ theme }: { theme: string }) {
  const { trafficWindow, tags, tagSeries, total, hourHistory } = useAppStore(useShallow((state) => ({
    trafficWindow: state.trafficWindow, tags: state.tags, tagSeries: state.tagSeries, total: state.total, hourHistory: state.hourHistory,
  })));
  const exposures = useAppStore((state) => state.exposures);
  const trafficMarks = useAppStore((state) => state.trafficMarks);
  const { exposureTags, otherTags } = useMemo(() => splitExposureTags(tags, exposures), [tags, exposures]);
  const { setTrafficWindow, refreshHourHistory } = useAppStore(useShallow((state) => ({ setTrafficWindow: state.setTrafficWindow, refreshHourHistory: state.refreshHourHistory })));
  const span = WINDOWS.find((entry) => entry.value === trafficWindow)?.ms ?? 300_000;

  useEffect(() => {
    if (trafficWindow !== '1h') return undefined;
    void refreshHourHistory();
    const timer = setInterval(() => void refreshHourHistory(), HOUR_REFRESH_MS);
    return () => clearInterval(timer);
  }, [trafficWindow, refreshHourHistory]);

  const series = useMemo(() => {
    if (trafficWindow === '1h') {
      const byKey = new Map<string, TrafficPoint[]>();
      for (const entry of hourHistory?.tags ?? []) {
        if (entry.tag !== null && entry.direction !== null) byKey.set(tagKey({ tag: entry.tag, direction: entry.direction }), entry.points);
      }
      return { total: hourHistory?.total.points ?? [], byKey, marks: hourHistory?.marks ?? [], stepMs: hourHistory?.stepMs ?? HOUR_REFRESH_MS };
    }
    const byKey = new Map<string, TrafficPoint[]>();
    for (const [key, points] of Object.entries(tagSeries)) byKey.set(key, lastSeconds(points, span));
    return { total: lastSeconds(total, span), byKey, marks: trafficMarks, stepMs: 1000 };
  }, [trafficWindow, hourHistory, tagSeries, total, span, trafficMarks]);
  const windowLabel = WINDOWS.find((entry) => entry.value === trafficWindow)?.label ?? '5 min';

  return (
    <div className="stack">
      <div className="toolbar" style={{ marginBottom: 0 }}>
        <div className="segmented" role="group" aria-label="Time window">
          {WINDOWS.map((entry) => (
            <button type="button" key={entry.value} aria-pressed={trafficWindow === entry.value} onClick={() => setTrafficWindow(entry.value)}>{entry.label}</button>
          ))}
        </div>
        <span className="faint">{trafficWindow === '1h' ? 'one point per 10 seconds' : 'one point per second'}</span>
      </div>

      <section className="card" aria-labelledby="total-title">
        <div className="card-header">
          <h2 id="total-title">All traffic</h2>
          <span className="faint">tunnel links not counted twice</span>
        </div>
        <div className="card-body">
          <TrafficChart points={series.total} marks={series.marks} stepMs={series.stepMs} windowMs={span} height={180} theme={theme} label={`Total upload and download rate over the last ${windowLabel}`} />
        </div>
      </section>

      {exposureTags.length > 0 ? (
        <>
          <h2 className="section-title" id="exposure-traffic-title">Exposures</h2>
          <div className="tag-grid" aria-labelledby="exposure-traffic-title">
            {exposureTags.map(({ tag, id, exposure }) => {
              const name = exposure?.name ?? `removed exposure ${id}`;
              return (
                <section className="card tag-card" key={tagKey(tag)} aria-label={`Exposure ${name}`} data-testid="exposure-tag-card" data-exposure-id={id}>
                  <div className="card-header">
                    <GlobeIcon small />
                    <h2 data-testid="exposure-series-name">{name}</h2>
                    {exposure ? <span className="faint mono">{localAddressOf(exposure)}</span> : null}
                    <span className="spacer" style={{ flex: 1 }} />
                    <span className="faint num">{tag.openConnections} open</span>
                  </div>
                  <TagFigures tag={tag} />
                  <div className="card-body">
                    <TrafficChart points={series.byKey.get(tagKey(tag)) ?? []} marks={series.marks} stepMs={series.stepMs} windowMs={span} height={110} theme={theme} compact label={`Rates of exposure ${name} over the last ${windowLabel}`} />
                  </div>
                </section>
              );
            })}
          </div>
          {otherTags.length > 0 ? <h2 className="section-title">Tags</h2> : null}
        </>
      ) : null}

      {tags.length === 0 ? (
        <section className="card">
          <EmptyState icon={<TrafficIcon />} title="No tags have carried traffic yet">
            Each inbound and outbound tag gets its own graph here once a connection goes through it.
          </EmptyState>
        </section>
      ) : otherTags.length === 0 ? null : (
        <div className="tag-grid">
          {otherTags.map((tag) => (
            <section className="card tag-card" key={tagKey(tag)} aria-label={`${tag.direction} ${tag.tag || 'untagged'}`} data-testid="tag-card">
              <div className="card-header">
                <h2>{tag.tag || 'untagged'}</h2>
                <span className={`badge ${tag.direction === 'inbound' ? 'accent' : ''}`}>{tag.direction}</span>
                <span className="spacer" style={{ flex: 1 }} />
                <span className="faint num">{tag.openConnections} open</span>
              </div>
              <TagFigures tag={tag} />
              <div className="card-body">
                <TrafficChart points={series.byKey.get(tagKey(tag)) ?? []} marks={series.marks} stepMs={series.stepMs} windowMs={span} height={110} theme={theme} compact label={`Rates of ${tag.direction} ${tag.tag || 'untagged'} over the last ${windowLabel}`} />
              </div>
            </section>
          ))}
        </div>
      )}
    </div>
  );
}

/** A tag's current rates and total, above its graph. */
function TagFigures({ tag }: { tag: TagTraffic }) {
  return (
    <div className="figures num">
      <span>↑ <b>{formatRate(tag.upRate)}</b></span>
      <span>↓ <b>{formatRate(tag.downRate)}</b></span>
      <span>total <b>{formatBytes(tag.bytesUp + tag.bytesDown)}</b></span>
    </div>
  );
}
