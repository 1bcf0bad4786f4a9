/**
 * identifiers.md §13, node.md §2.1: a node records, for each list, the identifier rules it was
 * ingested under, and never runs a round over a list built under rules other than the ones it
 * advertises in its OFFERs. Here the federation adds a roster hygiene entry (the rules change)
 * while both labs hold lists built before it: the rounds are refused, naming the list, its rules,
 * the rules in force and the fix, until each lab drops and re-ingests its list.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHONE_METADATA_VERSION, hygieneAdditionsDigest } from '@venn/identifiers';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

const OLD_RULES = `venn/identifier/v2 hygiene/1 libphonenumber-js/${PHONE_METADATA_VERSION}`;
const ADDITIONS = [{ kind: 'email', value: 'e30@example.com' }];
const NEW_RULES = `venn/identifier/v2 hygiene/1+roster.${hygieneAdditionsDigest(ADDITIONS).slice(0, 16)} libphonenumber-js/${PHONE_METADATA_VERSION}`;

interface ListJson { name: string; items: number; rules: string | null; stale: boolean }

async function ok(args: string[]): Promise<string> {
  const result = await venn(args);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code, args.join(' ')).toBe(0);
  return result.stdout;
}

describe('lists built under other identifier rules than those in force', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;

  beforeAll(async () => {
    ensureBuilt();
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 60));
    await federation.ingest('lab-b', emails(30, 90));
    // The federation's next roster adds a hygiene entry: the rules in force change for both labs.
    const roster = JSON.parse(readFileSync(federation.rosterPath, 'utf8')) as Record<string, unknown>;
    const next = join(federation.root, 'roster-2.json');
    writeFileSync(next, JSON.stringify({ ...roster, identifierHygiene: ADDITIONS }, null, 2));
    for (const node of [a, b]) await ok(['roster', 'use', '--dir', node.dir, next]);
    a.start();
    b.start();
    await Promise.all([a.started(), b.started()]);
  }, 120_000);
  afterAll(() => federation.close());

  it('records the rules each list was ingested under and shows the list stale in venn lists and venn status', async () => {
    expect((await a.started())['identifierRules']).toBe(NEW_RULES);
    const lists = JSON.parse(await ok(['lists', '--dir', a.dir, '--json'])) as ListJson[];
    expect(lists).toEqual([expect.objectContaining({ name: 'suspicious', items: 60, rules: OLD_RULES, stale: true })]);
    const table = await ok(['lists', '--dir', a.dir]);
    expect(table).toContain(OLD_RULES);
    expect(table).toMatch(/suspicious.*STALE/);
    expect(table).toContain(`rules in force: ${NEW_RULES}`);
    const status = JSON.parse(await ok(['status', '--dir', a.dir, '--json'])) as { identifierRules: string; lists: Array<{ name: string; rules: string | null; stale: boolean }> };
    expect(status.identifierRules).toBe(NEW_RULES);
    expect(status.lists).toEqual([expect.objectContaining({ name: 'suspicious', rules: OLD_RULES, stale: true })]);
  });

  it('refuses a round over a stale list, as initiator, naming the list, both rules and the fix', async () => {
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/identifier-rules-stale/);
    expect(result.stderr).toContain('suspicious');
    expect(result.stderr).toContain(OLD_RULES);
    expect(result.stderr).toContain(NEW_RULES);
    expect(result.stderr).toMatch(/venn lists drop suspicious/);
    // Nothing was dialed: no attempt is recorded on either side.
    expect(JSON.parse(await ok(['rounds', '--dir', b.dir, '--json']))).toEqual([]);
  });

  it('refuses to add to a stale list: the list is dropped and ingested again', async () => {
    const path = join(federation.root, 'more.csv');
    writeFileSync(path, 'email\nnew@example.com\n');
    const refused = await venn(['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'suspicious', path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/identifier-rules-stale/);
    expect(refused.stderr).toContain(OLD_RULES);
    expect(JSON.parse(await ok(['lists', '--dir', a.dir, '--json']))).toEqual([expect.objectContaining({ name: 'suspicious', items: 60 })]);
    await ok(['lists', 'drop', '--dir', a.dir, 'suspicious']);
    await federation.ingest('lab-a', emails(0, 60));
    expect(JSON.parse(await ok(['lists', '--dir', a.dir, '--json']))).toEqual([expect.objectContaining({ name: 'suspicious', items: 59, rules: NEW_RULES, stale: false })]);
  });

  it('is refused by a responder whose own list is stale, without naming its lists to the peer', async () => {
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/identifier-rules-stale/);
    expect(result.stdout + result.stderr).not.toContain('suspicious');
    const refusal = b.logs.find((line) => line.msg === 'round refused' && line['reason'] === 'identifier-rules-stale');
    expect(String(refusal?.['detail'])).toContain('suspicious');
  }, 60_000);

  it('runs once both labs re-ingested under the rules in force, without the value the new rules reject', async () => {
    await ok(['lists', 'drop', '--dir', b.dir, 'suspicious']);
    await federation.ingest('lab-b', emails(30, 90));
    const round = JSON.parse(await ok(['round', '--dir', a.dir, '--peer', 'lab-b', '--json'])) as { status: string; intersectionSize: number };
    // e30 was in both lists before; the roster addition rejects it now.
    expect(round).toMatchObject({ status: 'completed', intersectionSize: 29 });
  }, 60_000);

  it('treats a list of unknown rules (a store from before they were recorded) as stale', async () => {
    await a.stop();
    const db = new Database(join(a.dir, 'venn.db'));
    try {
      db.prepare('UPDATE lists SET identifier_rules = NULL').run();
    } finally {
      db.close();
    }
    const lists = JSON.parse(await ok(['lists', '--dir', a.dir, '--json'])) as ListJson[];
    expect(lists).toEqual([expect.objectContaining({ name: 'suspicious', rules: null, stale: true })]);
    expect(await ok(['lists', '--dir', a.dir])).toMatch(/suspicious.*unknown.*STALE/);
    a.start();
    await a.started();
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/identifier-rules-stale/);
    expect(result.stderr).toMatch(/unknown/);
  }, 60_000);

  it('a running daemon given a roster with other additions advertises the new rules at once; its lists are stale', async () => {
    await ok(['lists', 'drop', '--dir', a.dir, 'suspicious']);
    await federation.ingest('lab-a', emails(0, 60));
    const additions = [...ADDITIONS, { kind: 'email', value: 'e31@example.com' }];
    const rules = `venn/identifier/v2 hygiene/1+roster.${hygieneAdditionsDigest(additions).slice(0, 16)} libphonenumber-js/${PHONE_METADATA_VERSION}`;
    const roster = JSON.parse(readFileSync(federation.rosterPath, 'utf8')) as Record<string, unknown>;
    const next = join(federation.root, 'roster-3.json');
    writeFileSync(next, JSON.stringify({ ...roster, identifierHygiene: additions }, null, 2));
    await ok(['roster', 'use', '--dir', a.dir, next]);
    const status = JSON.parse(await ok(['status', '--dir', a.dir, '--json'])) as { daemon: { identifierRules: string }; lists: Array<{ name: string; stale: boolean }> };
    expect(status.daemon.identifierRules).toBe(rules);
    expect(status.lists).toEqual([expect.objectContaining({ name: 'suspicious', rules: NEW_RULES, stale: true })]);
    const result = await venn(['round', '--dir', a.dir, '--peer', 'lab-b', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/identifier-rules-stale/);
    expect(result.stderr).toContain(rules);
  }, 60_000);
});
