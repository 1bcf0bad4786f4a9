/**
 * A reading of protocol-spec/node.md §4.1 (slots of the roster cron) and roster.md §1.1 (its
 * grammar) written from the text alone, with no cron library: the vectors in
 * schedule-cron-v1.json come from here, and the tests check the daemon's scheduler against both.
 *
 * Time zones come from the runtime's IANA database through Intl.DateTimeFormat, the same source
 * every Venn node uses; nothing else is assumed about the zone.
 */

/** roster.md §1.1: field order, bounds and the size a step may not exceed. */
const FIELDS = [
  { name: 'minute', min: 0, max: 59, size: 60 },
  { name: 'hour', min: 0, max: 23, size: 24 },
  { name: 'day of month', min: 1, max: 31, size: 31 },
  { name: 'month', min: 1, max: 12, size: 12 },
  { name: 'day of week', min: 0, max: 7, size: 7 },
];

const ITEM = /^(?:(\*)|(\d{1,2})(?:-(\d{1,2}))?)(?:\/(\d{1,2}))?$/;

/**
 * Parses a roster cron into value sets. Throws Error(message) for anything outside the grammar;
 * the roster parser maps that to `roster-invalid`.
 */
export function parseCron(expression) {
  if (typeof expression !== 'string' || expression.length > 128) throw new Error('expected a cron string of at most 128 characters');
  const parts = expression.split(' ');
  if (parts.length !== 5) throw new Error('expected five fields separated by single spaces');
  const sets = parts.map((part, index) => {
    const field = FIELDS[index];
    const values = new Set();
    for (const item of part.split(',')) {
      const m = ITEM.exec(item);
      if (m === null) throw new Error(`${field.name}: "${item}" is not *, n, a-b, */s or a-b/s`);
      const [, star, a, b, s] = m;
      const step = s === undefined ? 1 : Number(s);
      if (step < 1 || step > field.size) throw new Error(`${field.name}: step ${s} outside 1..${field.size}`);
      if (star === undefined && b === undefined && s !== undefined) throw new Error(`${field.name}: "${item}" (n/s) is not allowed`);
      let low;
      let high;
      if (star !== undefined) {
        // `*` and `*/s` run from the field's minimum to its maximum; for day of week that is 0..6.
        low = field.min;
        high = index === 4 ? 6 : field.max;
      } else {
        low = Number(a);
        high = b === undefined ? low : Number(b);
      }
      for (const v of [low, high]) if (v < field.min || v > field.max) throw new Error(`${field.name}: ${v} outside ${field.min}..${field.max}`);
      if (low > high) throw new Error(`${field.name}: range ${a}-${b} is descending`);
      for (let v = low; v <= high; v += step) values.add(index === 4 && v === 7 ? 0 : v);
    }
    return values;
  });
  const single = (part, set) => !part.includes('*') && !part.includes('/') && set.size === 1;
  return {
    minutes: sets[0],
    hours: sets[1],
    days: sets[2],
    months: sets[3],
    weekdays: sets[4],
    // node.md §4.1: a field is unrestricted only when it is exactly "*".
    domStar: parts[2] === '*',
    dowStar: parts[4] === '*',
    fixedTime: single(parts[0], sets[0]) && single(parts[1], sets[1]),
  };
}

/** node.md §4.1: which local dates are selected (month, and day of month OR day of week). */
function dateSelected(cron, y, mo, d) {
  if (!cron.months.has(mo)) return false;
  const weekday = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  const byDom = cron.days.has(d);
  const byDow = cron.weekdays.has(weekday);
  if (cron.dowStar) return byDom;
  if (cron.domStar) return byDow;
  return byDom || byDow;
}

const formatters = new Map();

/** Wall-clock fields of instant `t` (Unix seconds) in `zone`. */
function wall(zone, t) {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t * 1000)).filter((x) => x.type !== 'literal').map((x) => [x.type, Number(x.value)]));
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

/** Wall-clock fields read as if they were UTC, in seconds: comparable across instants. */
const wallSeconds = (w) => Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) / 1000;
const offsetAt = (zone, t) => wallSeconds(wall(zone, t)) - t;

/**
 * The instants whose wall-clock time in `zone` is exactly `target` (wall seconds): none (a gap),
 * one, or two (a repeated hour), in increasing order.
 */
function instantsOf(zone, target) {
  const offsets = new Set([-26 * 3600, -13 * 3600, 0, 13 * 3600, 26 * 3600].map((dt) => offsetAt(zone, target + dt)));
  const found = new Set();
  for (const offset of offsets) {
    const t = target - offset;
    if (wallSeconds(wall(zone, t)) === target) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/** The instant at which the clock jumped over wall time `target` (a forward transition), or null. */
function gapEnd(zone, target) {
  let lo = target - 26 * 3600;
  let hi = target + 26 * 3600;
  // Invariant: wall(lo) < target <= wall(hi); find the first instant whose wall time passed target.
  if (!(wallSeconds(wall(zone, lo)) < target && wallSeconds(wall(zone, hi)) >= target)) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallSeconds(wall(zone, mid)) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Slots falling on local date (y, mo, d), in increasing order. */
function slotsOnDate(cron, zone, y, mo, d) {
  const out = [];
  const hours = [...cron.hours].sort((a, b) => a - b);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  for (const h of hours) {
    for (const mi of minutes) {
      const target = Date.UTC(y, mo - 1, d, h, mi, 0) / 1000;
      const instants = instantsOf(zone, target);
      if (cron.fixedTime) {
        // One slot per selected date: the first occurrence, or the end of the gap that skipped it.
        if (instants.length > 0) out.push(instants[0]);
        else {
          const end = gapEnd(zone, target);
          if (end !== null) {
            const w = wall(zone, end);
            if (w.y === y && w.mo === mo && w.d === d) out.push(end);
          }
        }
      } else {
        out.push(...instants);
      }
    }
  }
  return out.sort((a, b) => a - b);
}

/** Ten years of dates hold every date a roster cron can select at least once (29 February: eight). */
const SEARCH_DAYS = 366 * 10;

/**
 * The first `count` slots strictly after Unix second `after` (node.md §4.1), in increasing order;
 * fewer if ten years pass without a selected date (then no later date is selected either).
 */
export function nextSlots(expression, zone, after, count) {
  const cron = parseCron(expression);
  const start = wall(zone, after);
  const found = new Set();
  // Start a day early: a slot on the previous local date can still lie after `after` in a zone
  // whose clock fell back across midnight. Slots of adjacent dates can interleave around such a
  // transition, so two more dates are read once enough slots are found.
  let day = Date.UTC(start.y, start.mo - 1, start.d) / 86_400_000 - 1;
  let lastSelected = day;
  let extra = 2;
  for (; extra > 0 && day - lastSelected <= SEARCH_DAYS; day++) {
    if (found.size >= count) extra -= 1;
    const date = new Date(day * 86_400_000);
    const [y, mo, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (!dateSelected(cron, y, mo, d)) continue;
    lastSelected = day;
    for (const t of slotsOnDate(cron, zone, y, mo, d)) if (t > after) found.add(t);
  }
  return [...found].sort((a, b) => a - b).slice(0, count);
}
