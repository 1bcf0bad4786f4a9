/**
 * A daemon's event-loop lag as the benchmarks read it: `nodejs_eventloop_lag_max_seconds` from its
 * admin /metrics, whose maximum prom-client resets at each scrape, so scraping about once a second
 * places a main-thread stall in the run (bench:round, bench:epoch). With it, what the lag is made
 * of (Linux): `venn_main_thread_run_max_seconds`, the main thread's longest own work between two
 * 10 ms readings, `venn_main_thread_stall_max_seconds`, the longest time its virtual CPU was taken
 * away by the host while charged to it as run, `venn_main_thread_wait_max_seconds`, its longest
 * wait for a CPU while it had work, and `venn_main_thread_blocked_max_seconds`, its longest sleep
 * in a system call (node.md §7).
 * They reset at each scrape too.
 */

/** One scrape window: when it closed (seconds into the run), the longest delay in it, and its parts. */
export interface LagWindow {
  readonly atSeconds: number;
  readonly maxMs: number;
  /** the main thread's longest work between two readings; null where the daemon cannot measure it */
  readonly runMs: number | null;
  /** the longest stall of its virtual CPU charged to it as run; null where the daemon does not report it */
  readonly stallMs: number | null;
  /** its longest wait for a CPU between two readings; null likewise */
  readonly waitMs: number | null;
  /** its longest time blocked in a system call between two readings; null likewise */
  readonly blockedMs: number | null;
}

export interface LagFigures {
  /** the longest delay of any window, and when that window closed */
  readonly maxMs: number;
  readonly atSeconds: number;
  readonly windows: number;
  /** the windows over 50 ms, as "X ms at +S s (work R ms, stalled T ms, waiting for a CPU W ms, blocked B ms)" */
  readonly over50: readonly string[];
  /** the main thread's longest work between two readings in any window, and when; null if not measured */
  readonly maxRunMs: number | null;
  readonly runAtSeconds: number | null;
  /** its longest stall, wait for a CPU, and time blocked, in any window; null if not measured */
  readonly maxStallMs: number | null;
  readonly maxWaitMs: number | null;
  readonly maxBlockedMs: number | null;
  /** windows whose main-thread work exceeded 50 ms */
  readonly runOver50: number;
  /** windows with a stall over 50 ms */
  readonly stallOver50: number;
}

export interface MainThreadScrape {
  readonly lagMs: number;
  readonly runMs: number | null;
  readonly stallMs: number | null;
  readonly waitMs: number | null;
  readonly blockedMs: number | null;
}

function gaugeMs(text: string, name: string): number | null {
  const match = new RegExp(`(?:^|\\n)${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`).exec(text);
  return match === null ? null : Number(match[1]) * 1000;
}

/** The longest event-loop delay (ms) since the daemon's previous scrape, with its parts; this scrape starts a new window. */
export async function scrapeMainThread(adminPort: number, token: string): Promise<MainThreadScrape> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  return {
    lagMs: gaugeMs(text, 'nodejs_eventloop_lag_max_seconds') ?? Number.NaN,
    runMs: gaugeMs(text, 'venn_main_thread_run_max_seconds'),
    stallMs: gaugeMs(text, 'venn_main_thread_stall_max_seconds'),
    waitMs: gaugeMs(text, 'venn_main_thread_wait_max_seconds'),
    blockedMs: gaugeMs(text, 'venn_main_thread_blocked_max_seconds'),
  };
}

/** A scrape as a window closing `atSeconds` into the run, to one decimal. */
export function lagWindow(scrape: MainThreadScrape, atSeconds: number): LagWindow {
  const one = (v: number): number => Number(v.toFixed(1));
  const maybe = (v: number | null): number | null => (v === null ? null : one(v));
  return { atSeconds: one(atSeconds), maxMs: one(scrape.lagMs), runMs: maybe(scrape.runMs), stallMs: maybe(scrape.stallMs), waitMs: maybe(scrape.waitMs), blockedMs: maybe(scrape.blockedMs) };
}

const parts = (w: LagWindow): string => (w.runMs === null || w.waitMs === null ? '' : ` (work ${w.runMs} ms, ${w.stallMs === null ? '' : `stalled ${w.stallMs} ms, `}waiting for a CPU ${w.waitMs} ms, blocked ${w.blockedMs ?? '—'} ms)`);

export function lagFigures(windows: readonly LagWindow[]): LagFigures {
  const peak = windows.reduce((a, b) => (b.maxMs > a.maxMs ? b : a), windows[0] ?? { atSeconds: 0, maxMs: 0, runMs: null, stallMs: null, waitMs: null, blockedMs: null });
  const measured = windows.filter((w) => w.runMs !== null && w.waitMs !== null);
  const runPeak = measured.reduce<LagWindow | null>((a, b) => (a === null || b.runMs! > a.runMs! ? b : a), null);
  return {
    maxMs: peak.maxMs,
    atSeconds: peak.atSeconds,
    windows: windows.length,
    over50: windows.filter((w) => w.maxMs > 50).map((w) => `${w.maxMs} ms at +${w.atSeconds} s${parts(w)}`),
    maxRunMs: runPeak?.runMs ?? null,
    runAtSeconds: runPeak?.atSeconds ?? null,
    maxStallMs: measured.length === 0 || measured.every((w) => w.stallMs === null) ? null : Math.max(...measured.map((w) => w.stallMs ?? 0)),
    maxWaitMs: measured.length === 0 ? null : Math.max(...measured.map((w) => w.waitMs!)),
    maxBlockedMs: measured.length === 0 ? null : Math.max(...measured.map((w) => w.blockedMs ?? 0)),
    runOver50: measured.filter((w) => w.runMs! > 50).length,
    stallOver50: measured.filter((w) => (w.stallMs ?? 0) > 50).length,
  };
}

/**
 * "event-loop lag max X ms (window ending +S s); N of M windows over 50 ms[: the first five];
 * main-thread work max R ms (+S s), N windows over 50 ms; longest stall T ms (K windows over
 * 50 ms); longest wait for a CPU W ms; longest blocked B ms"
 */
export function lagLine(lag: LagFigures): string {
  const lagPart = `event-loop lag max ${lag.maxMs.toFixed(1)} ms (window ending +${lag.atSeconds} s); ${lag.over50.length} of ${lag.windows} windows over 50 ms${lag.over50.length === 0 ? '' : `: ${lag.over50.slice(0, 5).join(', ')}`}`;
  if (lag.maxRunMs === null) return `${lagPart}; main-thread work not measured here`;
  return `${lagPart}; main-thread work max ${lag.maxRunMs.toFixed(1)} ms (+${lag.runAtSeconds} s), ${lag.runOver50} windows over 50 ms; ${lag.maxStallMs === null ? '' : `longest stall ${lag.maxStallMs.toFixed(1)} ms (${lag.stallOver50} windows over 50 ms); `}longest wait for a CPU ${lag.maxWaitMs!.toFixed(1)} ms; longest blocked ${lag.maxBlockedMs!.toFixed(1)} ms`;
}
