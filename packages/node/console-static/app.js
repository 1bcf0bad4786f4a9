// The analyst console: the session, the page frame (navigation, logout, live status) and the pages.
import { html, render, useEffect, useState } from './vendor/htm-preact-standalone.js';
import { getJson, post, setCsrfToken } from './lib/api.js';
import { onRoundEnded, startLiveUpdates } from './lib/live.js';
import { href, useRoute } from './lib/route.js';
import { QueuePage } from './pages/queue.js';
import { AccountPage } from './pages/account.js';
import { FederationPage } from './pages/federation.js';
import { RoundsPage } from './pages/rounds.js';
import { AuditPage } from './pages/audit.js';
import { ChartsPage } from './pages/charts.js';

const PAGES = [
  { path: '/queue', title: 'Triage queue', component: QueuePage },
  { path: '/federation', title: 'Federation', component: FederationPage },
  { path: '/rounds', title: 'Rounds', component: RoundsPage },
  { path: '/audit', title: 'Audit', component: AuditPage },
  { path: '/charts', title: 'Charts', component: ChartsPage },
];

function LiveStatus() {
  const [message, setMessage] = useState('');
  useEffect(() => onRoundEnded((round) => {
    setMessage(`Round with ${round.peer} ${round.status}${round.intersectionSize === null ? '' : `, ${round.intersectionSize} matched`}, at ${new Date(round.finishedAt).toISOString().slice(11, 19)} UTC`);
  }), []);
  return html`<p class="live-status" role="status" aria-live="polite">${message}</p>`;
}

function App({ session }) {
  const route = useRoute();
  const page = route.path === '/account' ? { title: 'Account', component: AccountPage } : PAGES.find((p) => p.path === route.path) ?? PAGES[0];
  useEffect(() => { document.title = `${page.title} · ${session.node} · Venn analyst console`; }, [page, session]);
  const logout = async () => {
    await post('/console/logout', {});
    location.assign('/console/login');
  };
  const Page = page.component;
  return html`
    <a class="skip-link" href="#main" onClick=${(event) => { event.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header class="top">
      <div class="brand">Venn analyst console <span class="node">${session.node}</span></div>
      <nav aria-label="Console pages">
        <ul>
          ${PAGES.map((p) => html`<li><a href=${href(p.path)} aria-current=${p === page ? 'page' : undefined}>${p.title}</a></li>`)}
        </ul>
      </nav>
      <button type="button" class="secondary" onClick=${logout}>Log out</button>
    </header>
    <${LiveStatus} />
    <main id="main" tabindex="-1">
      <${Page} params=${route.params} session=${session} />
    </main>`;
}

async function boot() {
  const root = document.getElementById('app');
  try {
    const session = await getJson('/console/api/session');
    setCsrfToken(session.csrf);
    startLiveUpdates();
    render(html`<${App} session=${session} />`, root);
  } catch (error) {
    root.textContent = `The console could not start: ${error.message}`;
  }
}

boot();
