/**
 * A real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with the flags
 * that keep it off the network, a fresh profile per launch, and axe-core for accessibility checks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Root cannot use Chromium's sandbox; the pages are the test's own, on loopback.
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile directory at 1280×800; `bypassCSP` only for injecting axe-core. */
export async function launchBrowser(options: { bypassCSP?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'venn-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 }, acceptDownloads: true,
    bypassCSP: options.bypassCSP ?? false, timezoneId: 'UTC', locale: 'en-US',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: string[];
}

/** Runs axe-core's WCAG 2 A and AA rules on the page as it is; returns the violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
}

/** Form controls without an accessible name from a label, aria-label or aria-labelledby. */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((element) => {
      const control = element as HTMLInputElement;
      return (control.labels?.length ?? 0) === 0 && !control.hasAttribute('aria-label') && !control.hasAttribute('aria-labelledby');
    })
    .map((element) => element.outerHTML.slice(0, 120)));
}
