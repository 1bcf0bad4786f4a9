/**
 * A daemon's event-loop lag as the benchmarks read it: `nodejs_eventloop_lag_max_seconds` from its
 * admin /metrics, whose maximum prom-client resets at each scrape, so scraping about once a second
 * places a main-thread stall in the run (bench:round, bench:epoch).
 */

/** One scrape window: when it closed (seconds into the run) and the longest delay in it. */
export interface LagWindow {
  readonly atSeconds: number;
  readonly maxMs: number;
}

export interface LagFigures {
  /** the longest delay of any window, and when that window closed */
  readonly maxMs: number;
  readonly atSeconds: number;
  readonly windows: number;
  /** the windows over 50 ms, as "X ms at +S s" */
  readonly over50: readonly string[];
}

/** The longest event-loop delay (ms) since the daemon's previous scrape; this scrape starts a new window. */
export async function scrapeLagMaxMs(adminPort: number, token: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return Number(/(?:^|\n)nodejs_eventloop_lag_max_seconds\{[^}]*\} ([0-9.e+-]+)/.exec(text)?.[1] ?? 'NaN') * 1000;
}

export function lagFigures(windows: readonly LagWindow[]): LagFigures {
  const peak = windows.reduce((a, b) => (b.maxMs > a.maxMs ? b : a), windows[0] ?? { atSeconds: 0, maxMs: 0 });
  return { maxMs: peak.maxMs, atSeconds: peak.atSeconds, windows: windows.length, over50: windows.filter((w) => w.maxMs > 50).map((w) => `${w.maxMs} ms at +${w.atSeconds} s`) };
}

/** "event-loop lag max X ms (window ending +S s); N of M windows over 50 ms[: the first five]" */
export function lagLine(lag: LagFigures): string {
  return `event-loop lag max ${lag.maxMs.toFixed(1)} ms (window ending +${lag.atSeconds} s); ${lag.over50.length} of ${lag.windows} windows over 50 ms${lag.over50.length === 0 ? '' : `: ${lag.over50.slice(0, 5).join(', ')}`}`;
}
