// Live updates: one server-sent event stream per page load; pages subscribe to "round ended".
const listeners = new Set();
let source = null;

export function onRoundEnded(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startLiveUpdates() {
  if (source !== null) return;
  source = new EventSource('/console/api/events');
  source.addEventListener('round', (event) => {
    const round = JSON.parse(event.data);
    for (const listener of [...listeners]) listener(round);
  });
}
