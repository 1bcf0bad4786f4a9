// Formatting shared by the pages: UTC times, durations, counts, state names.
export function utc(ms) {
  if (ms === null || ms === undefined) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function day(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function count(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

export const STATE_NAMES = { new: 'New', reviewed: 'Reviewed', actioned: 'Actioned', 'false-positive': 'False positive' };

export function shortId(hex) {
  return `${hex.slice(0, 12)}…`;
}

export function accountName(ref) {
  return ref === '' ? '(no account reference)' : ref;
}
