/**
 * identifiers.md §13, SPEC §4.3 and §4.5 check 5: two nodes whose lists were built under
 * different identifier rules (another spec, hygiene list or phone metadata version) would miss
 * matches that exist, so the round is refused before either side evaluates or even blinds its
 * set, unless the policy explicitly allows the mismatch. lab-a is a real daemon process; lab-b
 * runs in this process on other rules (the only way one build can hold two versions at once).
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../src/internal/daemon.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const OTHER_RULES = 'venn/identifier/v2 hygiene/1 libphonenumber-js/1.12.0';

function kinds(dir: string): Array<[string, number]> {
  const db = new Database(join(dir, 'venn.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT direction, message FROM transcript_messages ORDER BY round_row, seq').all() as Array<{ direction: string; message: Buffer }>;
    return rows.map((row) => [row.direction, row.message[row.message.indexOf(Buffer.from([0xa1, 0x74])) + 2] ?? -1]);
  } finally {
    db.close();
  }
}

const sink = (): Writable => new Writable({ write: (chunk, _encoding, done) => { if (process.env.DEBUG_SINK) process.stderr.write(chunk); done(); } });

describe('a peer on other identifier rules', () => {
  let federation: Federation;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *' });
    await federation.ingest('lab-a', emails(0, 60));
    await federation.ingest('lab-b', emails(30, 90));
    // lab-b's lists were ingested by a release on OTHER_RULES, and record them (node.md §2.1).
    const db = new Database(join(federation.node('lab-b').dir, 'venn.db'));
    try {
      db.prepare('UPDATE lists SET identifier_rules = ?').run(OTHER_RULES);
    } finally {
      db.close();
    }
    const a = federation.node('lab-a');
    a.start();
    await a.started();
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await federation.close();
  });

  it('is refused before any evaluation, with the code naming both strings', async () => {
    daemon = await Daemon.start({ dir: federation.node('lab-b').dir, identifierRules: OTHER_RULES, logDestination: sink() });
    const result = await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/identifier-rules-mismatch/);
    expect(result.stderr).toContain(OTHER_RULES);
    // lab-b read lab-a's OFFER and answered ABORT: it sent no OFFER, no BLINDED chunk, no evaluation.
    expect(kinds(federation.node('lab-b').dir)).toEqual([['received', 1], ['sent', 7]]);
    const [row] = daemon.store.listRounds();
    expect(row).toMatchObject({ status: 'aborted', reason: 'identifier-rules-mismatch', evaluationsSent: 0, evaluationsReceived: 0, abandoned: false });
    await daemon.stop();
    daemon = undefined;
  }, 60_000);

  it('runs only when both policies explicitly allow the mismatch', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const allow = (id: string): void => {
      const configPath = join(federation.node(id).dir, 'venn.config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { policy?: Record<string, unknown> };
      writeFileSync(configPath, JSON.stringify({ ...config, policy: { ...config.policy, allowIdentifierRulesMismatch: true } }, null, 2));
    };
    allow('lab-b');
    daemon = await Daemon.start({ dir: federation.node('lab-b').dir, identifierRules: OTHER_RULES, logDestination: sink() });
    // lab-b accepts lab-a's OFFER, but lab-a's own policy refuses lab-b's rules.
    const refused = await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-b', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/identifier-rules-mismatch/);
    // With both allowing it, the round runs.
    allow('lab-a');
    const a = federation.node('lab-a');
    await a.stop();
    a.start();
    await a.started();
    const ran = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(ran.stderr).toBe('');
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'completed', intersectionSize: 30 });
  }, 90_000);
});
