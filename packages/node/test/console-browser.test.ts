/**
 * The analyst console in a real headless Chromium against a real two-lab federation (daemons as
 * child processes, SQLite stores, a real round over loopback): log in, triage, review, export,
 * live updates, refusals, accessibility. Screenshots of every page at 1280×800 go to
 * build-output/console/ at the repository root.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifierDigest } from '@venn/identifiers';
import type { Page } from 'playwright-core';
import { axeViolations, launchBrowser, unlabelledControls, type Browser } from './helpers/browser.js';
import { ensureBuilt, repoRoot } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, type LogLine, type NodeProcess } from './helpers/federation.js';

const SHOTS = join(repoRoot, 'build-output', 'console');

const LABS = ['lab-a', 'lab-b'];
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const phone = (n: number): string => `+1 202 456 ${1100 + n}`;

/** lab-a holds e0..e29 (acct-N) and phones 0..9 (acct-N); lab-b holds e10..e39 and phones 5..14, labelled. */
function writeLists(root: string): Record<string, string[][]> {
  const files = {
    'lab-a': [
      ['email', 'a-emails.csv', `email,account,category\n${range(0, 30).map((i) => `e${i}@example.com,acct-${i},own-${i % 2 === 0 ? 'even' : 'odd'}`).join('\n')}\n`],
      ['phone', 'a-phones.csv', `phone,account\n${range(0, 10).map((i) => `${phone(i)},acct-${i}`).join('\n')}\n`],
    ],
    'lab-b': [
      ['email', 'b-emails.csv', `email,account,category,first_seen,reason\n${range(10, 40).map((i) => `e${i}@example.com,b-${i},${i < 20 ? 'distillation' : 'fraud'},2029-12-${String(1 + (i % 28)).padStart(2, '0')},${i < 20 ? 'scripted API harvesting' : 'card testing'}`).join('\n')}\n`],
      ['phone', 'b-phones.csv', `phone,account,category,first_seen,reason\n${range(5, 15).map((i) => `${phone(i)},b-p${i},sim-farm,2029-11-20,shared SIM bank`).join('\n')}\n`],
    ],
  };
  const commands: Record<string, string[][]> = {};
  for (const [lab, lists] of Object.entries(files)) {
    commands[lab] = lists.map(([kind, name, text]) => {
      writeFileSync(join(root, name!), text!);
      const labels = lab === 'lab-b' ? ['--category-column', 'category', '--first-seen-column', 'first_seen', '--reason-column', 'reason'] : ['--category-column', 'category'];
      return ['--kind', kind!, '--list', `${kind}s`, '--account-column', 'account', ...(kind === 'email' || lab === 'lab-b' ? labels : []), join(root, name!)];
    });
  }
  return commands;
}

/** The accounts lab-a must see: emails 10..29 (lab-b holds e10..e39) and phones 5..9. */
const PLANTED = [...range(10, 30), ...range(5, 10)].map((i) => `acct-${i}`).sort();

let federation: Federation;
let a: NodeProcess;
let b: NodeProcess;
let browser: Browser;
let page: Page;
let base: string;
const visited: string[] = [];
const timings: Record<string, number> = {};
const began = performance.now();

const finished = (line: LogLine): boolean => line.msg === 'round attempt finished';

async function adHocRound(from: NodeProcess, peer: string): Promise<LogLine> {
  const seen = from.logs.length;
  const started = await from.admin('/v1/rounds', { method: 'POST', body: { peer } });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const roundId = (started.body as { roundId: string }).roundId;
  return from.waitForLog((line) => finished(line) && line['roundId'] === roundId && from.logs.indexOf(line) >= seen, 60_000, `round ${roundId} finished`);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function queueAccounts(): Promise<string[]> {
  return page.$$eval('table.queue tbody tr', (rows) => rows.map((row) => row.getAttribute('data-account') ?? ''));
}

beforeAll(async () => {
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  federation = await Federation.create({ ids: LABS, initArgs: Object.fromEntries(LABS.map((id) => [id, ['--share-labels', 'category,first_seen,reason']])) });
  for (const [lab, lists] of Object.entries(writeLists(federation.root))) {
    for (const args of lists) {
      const result = await venn(['ingest', '--dir', federation.node(lab).dir, ...args]);
      expect(result.code, result.stderr).toBe(0);
    }
  }
  a = federation.node('lab-a');
  b = federation.node('lab-b');
  await federation.startAll(Date.now());
  const round = await adHocRound(a, 'lab-b');
  expect(round).toMatchObject({ status: 'completed', intersectionSize: 25 });
  base = `http://127.0.0.1:${a.adminPort}`;
  timings['federation and first round'] = performance.now() - began;
  const launched = performance.now();
  browser = await launchBrowser();
  timings['browser launch'] = performance.now() - launched;
  page = await browser.context.newPage();
  page.on('request', (request) => visited.push(request.url()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await federation?.close();
  timings['whole file'] = performance.now() - began;
  process.stdout.write(`console browser test timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}\n`);
}, 60_000);

describe('analyst console in Chromium', () => {
  it('refuses the console without a session and a wrong token at login', async () => {
    const api = await fetch(`${base}/console/api/queue`);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await fetch(`${base}/console/api/queue.csv`)).status).toBe(401);
    expect((await fetch(`${base}/console/api/events`)).status).toBe(401);

    const response = await page.goto(`${base}/console/`);
    expect(page.url()).toBe(`${base}/console/login`);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response!.headers()['x-frame-options']).toBe('DENY');

    await page.fill('#token', 'b'.repeat(64));
    await page.click('form button[type=submit]');
    await page.waitForURL(`${base}/console/login?failed=1`);
    await expect.poll(() => page.isVisible('#login-error')).toBe(true);
    expect(await browser.context.cookies()).toEqual([]);
    await shot('login');
  });

  it('logs in with the admin token into an HttpOnly, SameSite=Strict session and shows the planted matches', async () => {
    const started = performance.now();
    await page.fill('#token', a.adminToken);
    await page.click('form button[type=submit]');
    await page.waitForSelector('table.queue tbody tr');
    timings['login to queue'] = performance.now() - started;
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: 'venn_console', httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(cookie!.value).not.toContain(a.adminToken);
    expect(await queueAccounts()).toEqual(expect.arrayContaining(PLANTED));
    expect((await queueAccounts()).sort()).toEqual(PLANTED);
    expect(await page.textContent('.count[data-state="new"]')).toBe('25');
    // Peers' labels are shown; raw identifiers and their digests never are (the store has no raw value).
    const text = await page.textContent('main') ?? '';
    expect(text).toContain('scripted API harvesting');
    expect(text).toContain('sim-farm');
    const html = await page.content();
    for (const i of range(10, 30)) {
      expect(html).not.toContain(`e${i}@example.com`);
      expect(html).not.toContain(Buffer.from(identifierDigest('email', `e${i}@example.com`)).toString('hex'));
    }
    await shot('queue');
  });

  it('filters the queue by kind, peer, label category, state and date range', async () => {
    await page.selectOption('#filter-kind', 'phone');
    await expect.poll(queueAccounts).toEqual(['acct-5', 'acct-6', 'acct-7', 'acct-8', 'acct-9']);
    expect(page.url()).toContain('kind=phone');
    await page.selectOption('#filter-kind', '');
    await page.selectOption('#filter-category', 'fraud');
    await expect.poll(async () => (await queueAccounts()).sort()).toEqual(range(20, 30).map((i) => `acct-${i}`).sort());
    await page.selectOption('#filter-peer', 'lab-b');
    await expect.poll(async () => (await queueAccounts()).length).toBe(10);
    await page.click('button:has-text("Clear filters")');
    await expect.poll(async () => (await queueAccounts()).length).toBe(25);
    // Nothing was first matched before today; a range that ends yesterday is empty.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.fill('#filter-until', yesterday);
    await page.waitForSelector('p.empty');
    await page.fill('#filter-until', '');
    await page.click('button.state-button.state-reviewed');
    await page.waitForSelector('p.empty');
    await page.click('button.state-button.state-reviewed');
    await expect.poll(async () => (await queueAccounts()).length).toBe(25);
  });

  it('moves through the queue with the keyboard and opens an account with Enter', async () => {
    await page.click('h1');
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'TR'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.tagName ?? '');
    }
    expect(focused).toBe('TR');
    const rows = await queueAccounts();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-account'))).toBe(rows[2]);
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-account'))).toBe(rows[1]);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#account-state');
    expect(decodeURIComponent(page.url())).toContain(`#/account?ref=${rows[1]}`);
  });

  it('shows one account, records a review with a note, and keeps it across a reload', async () => {
    await page.goto(`${base}/console/#/account?ref=acct-7`);
    await page.waitForSelector('#account-state');
    expect(await page.textContent('#account-state')).toBe('New');
    const timeline = await page.textContent('ol.timeline') ?? '';
    expect(timeline).toContain('lab-b');
    expect(timeline).toContain('phone');
    expect(timeline).toContain('shared SIM bank');
    await page.check('input[name="state"][value="reviewed"]');
    await page.fill('#review-note', 'Same SIM bank as case 4411; escalated to payments.');
    await page.click('button:has-text("Save review")');
    await page.waitForSelector('p.saved');
    await page.reload();
    await page.waitForSelector('#account-state');
    expect(await page.textContent('#account-state')).toBe('Reviewed');
    expect(await page.textContent('#account-note')).toBe('Same SIM bank as case 4411; escalated to payments.');
    expect(await page.textContent('ol.timeline')).toContain('Marked Reviewed');
    await shot('account');
    await page.goto(`${base}/console/#/queue?state=reviewed`);
    await expect.poll(queueAccounts).toEqual(['acct-7']);
    expect(await page.textContent('.count[data-state="reviewed"]')).toBe('1');
    expect(await page.textContent('.count[data-state="new"]')).toBe('24');
  });

  it('refuses a state change with a wrong or missing CSRF token, and from another origin', async () => {
    const attempts = await page.evaluate(async () => {
      const post = (headers: Record<string, string>) => fetch('/console/api/reviews', {
        method: 'POST', headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ account: 'acct-8', state: 'false-positive', note: 'forged', version: 1_000_000 }),
      }).then(async (response) => ({ status: response.status, body: await response.json() as { error?: { code: string } } }));
      return [await post({ 'x-csrf-token': 'not-the-token' }), await post({})];
    });
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 403, body: { error: { code: 'csrf-mismatch' } } });
    // With the session's cookie but from a page of another site: refused, whatever the token.
    const cookie = (await browser.context.cookies())[0]!;
    const session = await (await fetch(`${base}/console/api/session`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })).json() as { csrf: string };
    const forged = await fetch(`${base}/console/api/reviews`, {
      method: 'POST', headers: { cookie: `${cookie.name}=${cookie.value}`, origin: 'http://attacker.example', 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'acct-8', state: 'false-positive', note: 'forged', version: 1 }),
    });
    expect(forged.status).toBe(403);
    await page.goto(`${base}/console/#/account?ref=acct-8`);
    await page.waitForSelector('#account-state');
    expect(await page.textContent('#account-state')).toBe('New');
  });

  it('exports the filtered queue as CSV, byte for byte what venn matches --format csv prints', async () => {
    for (const filter of [{}, { peer: 'lab-b', kind: 'email' }, { state: 'reviewed' }, { category: 'sim-farm' }] as Array<Record<string, string>>) {
      await page.goto(`${base}/console/#/queue?${new URLSearchParams(filter).toString()}`);
      await page.waitForSelector('#queue-total');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Export CSV")')]);
      const exported = readFileSync((await download.path())!, 'utf8');
      const cli = await venn(['matches', '--dir', a.dir, '--format', 'csv', ...Object.entries(filter).flatMap(([name, value]) => [`--${name}`, value])]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(exported).toBe(cli.stdout);
      expect(exported.split('\r\n')[0]).toBe('account_ref,kinds,peers,identifiers,first_matched,latest_match,state,note,reviewed_at,label_lab-b_category,label_lab-b_first_seen,label_lab-b_reason');
    }
    const reviewed = await venn(['matches', '--dir', a.dir, '--format', 'csv', '--state', 'reviewed']);
    expect(reviewed.stdout.split('\r\n')[1]).toMatch(/^acct-7,phone,lab-b,1,[0-9TZ:.-]+,[0-9TZ:.-]+,reviewed,Same SIM bank as case 4411; escalated to payments\.,[0-9TZ:.-]+,sim-farm,2029-11-20,shared SIM bank$/);
    // Written to a file, the export is readable by its owner only.
    const out = join(federation.root, 'queue.csv');
    const written = await venn(['matches', '--dir', a.dir, '--format', 'csv', '--out', out]);
    expect(written.code, written.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toBe((await venn(['matches', '--dir', a.dir, '--format', 'csv'])).stdout);
  }, 120_000);

  it('shows a new round\'s matches on the open queue and federation pages without a reload', async () => {
    await page.goto(`${base}/console/#/queue`);
    await page.waitForSelector('table.queue tbody tr');
    const federationPage = await browser.context.newPage();
    await federationPage.goto(`${base}/console/#/federation`);
    await federationPage.waitForSelector('tr[data-peer="lab-b"]');
    const before = await federationPage.textContent('tr[data-peer="lab-b"]');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    // New evidence on both sides, then a round that lab-b starts.
    const extra = join(federation.root, 'new.csv');
    writeFileSync(extra, `email,account\n${range(100, 103).map((i) => `e${i}@example.com,acct-${i}`).join('\n')}\n`);
    expect((await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'emails', '--account-column', 'account', extra])).code).toBe(0);
    writeFileSync(extra, `email,account,category\n${range(100, 103).map((i) => `e${i}@example.com,b-${i},distillation`).join('\n')}\n`);
    expect((await venn(['ingest', '--dir', b.dir, '--kind', 'email', '--list', 'emails', '--account-column', 'account', '--category-column', 'category', extra])).code).toBe(0);
    const started = performance.now();
    const round = await adHocRound(b, 'lab-a');
    expect(round).toMatchObject({ status: 'completed', intersectionSize: 28 });
    await page.waitForSelector('tr[data-account="acct-102"]', { timeout: 30_000 });
    timings['round end to queue update'] = performance.now() - started;
    expect(navigations).toBe(0);
    expect(await page.textContent('tr[data-account="acct-100"]')).toContain('new since you opened the page');
    expect(await page.textContent('.count[data-state="new"]')).toBe('27');
    expect(await page.textContent('.live-status')).toMatch(/Round with lab-b completed/);
    const roundId = String(round['roundId']).slice(0, 12);
    await federationPage.waitForFunction((id) => document.querySelector('tr[data-peer="lab-b"]')?.textContent?.includes(id) ?? false, roundId, { timeout: 30_000 });
    expect(await federationPage.textContent('tr[data-peer="lab-b"]')).not.toBe(before);
    await federationPage.close();
    await shot('queue-live');
  }, 120_000);

  it('shows the federation, rounds with phase timings and bundle export, the audit log with a cross-check, and charts', async () => {
    await page.goto(`${base}/console/#/federation`);
    await page.waitForSelector('tr[data-peer="lab-b"]');
    const peerRow = await page.textContent('tr[data-peer="lab-b"]') ?? '';
    expect(peerRow).toContain('completed');
    expect(peerRow).toMatch(/ad hoc \d of 4/);
    // node.md §5.2–§5.3: the daemon reports the evaluation budget and abandonments per peer.
    expect(peerRow).toMatch(/[\d,]+ used, [\d,]+ left of [\d,]+ per 24 h/);
    expect(peerRow).toMatch(/0 in 24 h \(limit 3\)/);
    await shot('federation');

    await page.goto(`${base}/console/#/rounds`);
    await page.waitForSelector('table.rounds tbody tr');
    const firstRow = await page.textContent('table.rounds tbody tr') ?? '';
    expect(firstRow).toMatch(/completed/);
    expect(firstRow).toMatch(/[0-9.]+ (ms|s)/);
    const [bundle] = await Promise.all([page.waitForEvent('download'), page.click('table.rounds tbody tr a:has-text("Export bundle")')]);
    const bundlePath = join(federation.root, 'console.bundle');
    await bundle.saveAs(bundlePath);
    const verified = await venn(['audit', 'verify', '--roster', federation.rosterPath, bundlePath]);
    expect(verified.code, verified.stderr).toBe(0);
    await shot('rounds');

    const peerLog = join(federation.root, 'lab-b.log');
    expect((await venn(['audit', 'export-log', '--dir', b.dir, '--out', peerLog])).code).toBe(0);
    await page.goto(`${base}/console/#/audit`);
    await page.waitForSelector('#head-size');
    expect(await page.textContent('#head-size')).toMatch(/^2 leaves/);
    await page.setInputFiles('#peer-log', peerLog);
    await page.click('button:has-text("Run cross-check")');
    await page.waitForSelector('#cross-check-result');
    expect(await page.textContent('#cross-check-result')).toMatch(/lab-b's log is consistent with this node's: 2 rounds in both logs/);
    // The table reloads after the result is shown; its row carries the badge once the reload lands.
    await page.waitForSelector('tr[data-peer="lab-b"] .badge');
    expect(await page.textContent('tr[data-peer="lab-b"]')).toContain('consistent');
    // Junk in place of a log: a typed refusal, nothing stored.
    const junk = join(federation.root, 'junk.log');
    writeFileSync(junk, 'not a log');
    await page.setInputFiles('#peer-log', junk);
    await page.click('button:has-text("Run cross-check")');
    await page.waitForSelector('#cross-check-result.error');
    await page.setInputFiles('#peer-log', peerLog);
    await page.click('button:has-text("Run cross-check")');
    await page.waitForSelector('#cross-check-result.saved');
    await shot('audit');

    await page.goto(`${base}/console/#/charts`);
    await page.waitForSelector('#chart-durations canvas');
    expect(await page.locator('figure.chart canvas').count()).toBe(3);
    expect(await page.getAttribute('#chart-peer .chart-canvas', 'aria-label')).toMatch(/lab-b 28; 28 in all/);
    await shot('charts');
  }, 120_000);

  it('passes axe-core\'s WCAG 2 AA checks and labels every form control on every page', async () => {
    const checked = await launchBrowser({ bypassCSP: true });
    try {
      const axePage = await checked.context.newPage();
      // The checks can fail: an unlabelled field and grey-on-white text are caught.
      await axePage.setContent('<html lang="en"><head><title>t</title></head><body><main><input type="text"><p style="color:#bbb">faint</p></main></body></html>');
      expect((await axeViolations(axePage)).map((v) => v.id).sort()).toEqual(['color-contrast', 'label']);
      expect(await unlabelledControls(axePage)).toHaveLength(1);
      await axePage.goto(`${base}/console/login`);
      expect(await axeViolations(axePage)).toEqual([]);
      await axePage.fill('#token', a.adminToken);
      await axePage.click('form button[type=submit]');
      await axePage.waitForSelector('table.queue');
      for (const [hash, ready] of [['/queue', 'table.queue'], ['/account?ref=acct-7', '#account-state'], ['/federation', 'tr[data-peer]'], ['/rounds', 'table.rounds'], ['/audit', '#head-size'], ['/charts', '#chart-durations canvas']]) {
        await axePage.goto(`${base}/console/#${hash}`);
        await axePage.waitForSelector(ready!);
        expect(await axeViolations(axePage), hash).toEqual([]);
        expect(await unlabelledControls(axePage), hash).toEqual([]);
      }
    } finally {
      await checked.close();
    }
  }, 120_000);

  it('logs out: the session is gone server-side and the old cookie no longer works', async () => {
    const cookie = (await browser.context.cookies())[0]!;
    await page.goto(`${base}/console/#/queue`);
    await page.waitForSelector('table.queue');
    await page.click('button:has-text("Log out")');
    await page.waitForURL(`${base}/console/login`);
    const replay = await fetch(`${base}/console/api/queue`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(replay.status).toBe(401);
    await page.goto(`${base}/console/`);
    expect(page.url()).toBe(`${base}/console/login`);
  });

  it('never put the token in a URL, and never logged the token or a session id', () => {
    expect(visited.length).toBeGreaterThan(20);
    for (const url of visited) expect(url).not.toContain(a.adminToken);
    const logs = a.logs.map((line) => JSON.stringify(line)).join('\n');
    expect(logs).toContain('console login');
    expect(logs).not.toContain(a.adminToken);
    expect(logs).not.toContain('escalated to payments');
  });
});
