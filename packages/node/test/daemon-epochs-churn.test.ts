/**
 * SPEC §13.7 between two real daemons (real SQLite files, sockets and workers): seeded random
 * additions and removals on both sides over several incremental rounds leave each side's epoch
 * matching exactly the intersection of the current lists, and a fresh full (plain) round over the
 * same lists finds exactly those matches.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../src/internal/daemon.js';
import type { RoundRecord } from '../src/internal/store.js';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails } from './helpers/federation.js';
import { JumpTime } from './helpers/jump-time.js';

beforeAll(() => ensureBuilt());

const DAY = 86_400_000;
const START = 2_900 * 7 * DAY + 3 * DAY + 30_000;
const INTERVAL = 5 * 60_000;
const ROUNDS = 4;
const IDS = ['lab-a', 'lab-b'] as const;

/** mulberry32: a small seeded generator, so a failure replays. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, from: readonly T[], count: number): T[] {
  const pool = [...from];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}

function nextFinished(daemon: Daemon): Promise<RoundRecord> {
  return new Promise((resolve) => {
    const listener = (_id: string, record: RoundRecord): void => {
      if (record.status === 'aborted') return;
      daemon.events.off('final', listener);
      resolve(record);
    };
    daemon.events.on('final', listener);
  });
}

const account = (email: string): string => `acct-${email.split('@')[0]}`;

describe('incremental rounds under random churn between two daemons (property)', () => {
  let federation: Federation;
  let time: JumpTime;
  const daemons: Partial<Record<(typeof IDS)[number], Daemon>> = {};
  const universe = emails(0, 240);
  /** what each lab's lists hold now, and which of it sits in the list removals are taken from */
  const holds: Record<string, Set<string>> = { 'lab-a': new Set(universe.slice(0, 100)), 'lab-b': new Set(universe.slice(60, 180)) };
  const removable: Record<string, Set<string>> = { 'lab-a': new Set(holds['lab-a']), 'lab-b': new Set(holds['lab-b']) };

  /** the accounts of lab's epoch intersection, read from its store: own elements whose D is in T */
  function epochMatches(id: string): string[] {
    const db = new Database(join(federation.node(id).dir, 'venn.db'), { readonly: true, fileMustExist: true });
    try {
      // The views: the state as the completed rounds left it, staged rows the worker has not settled yet counted by their rounds (node.md §10.4).
      return (db.prepare(`SELECT DISTINCT i.account_ref FROM epochs e JOIN epoch_own_state o ON o.epoch_row = e.id
        JOIN epoch_peer_state p ON p.epoch_row = o.epoch_row AND p.value = o.value JOIN list_items i ON i.digest = o.digest
        WHERE e.status = 'open' ORDER BY i.account_ref`).pluck().all() as string[]);
    } finally {
      db.close();
    }
  }

  function roundMatches(id: string, row: number): string[] {
    const db = new Database(join(federation.node(id).dir, 'venn.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT DISTINCT i.account_ref FROM matches m JOIN list_items i ON i.digest = m.digest WHERE m.round_row = ? ORDER BY i.account_ref').pluck().all(row) as string[];
    } finally {
      db.close();
    }
  }

  const truth = (): string[] => [...holds['lab-a']!].filter((email) => holds['lab-b']!.has(email)).map(account).sort();

  beforeAll(async () => {
    federation = await Federation.create({ ids: [...IDS], epochs: { days: 7, incrementalMinutes: 5 } });
    for (const id of IDS) await federation.ingest(id, [...holds[id]!]);
    time = new JumpTime(START);
  }, 60_000);

  afterAll(async () => {
    for (const daemon of Object.values(daemons)) await daemon.stop().catch(() => undefined);
    time.dispose();
    await federation.close();
  });

  it('matches exactly what the current lists share after every round, and what a fresh full round finds', async () => {
    const started = Promise.all(IDS.map(async (id) => {
      daemons[id] = await Daemon.start({ dir: federation.node(id).dir, now: time.now, timers: time, logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
      return nextFinished(daemons[id]!);
    }));
    const first = await started;
    expect(first.map((record) => record.intersectionSize)).toEqual([truth().length, truth().length]);
    for (const id of IDS) expect(epochMatches(id)).toEqual(truth());

    const random = seeded(0x5eed16);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const id of IDS) {
        const additions = pick(random, universe.filter((email) => !holds[id]!.has(email)), 3 + Math.floor(random() * 8));
        const removals = pick(random, [...removable[id]!], Math.floor(random() * 6));
        if (additions.length > 0) await federation.ingest(id, additions, `added-${round}`);
        if (removals.length > 0) {
          const path = join(federation.root, `${id}-removals-${round}.csv`);
          writeFileSync(path, `email\n${removals.join('\n')}\n`);
          const removed = await venn(['remove', '--dir', federation.node(id).dir, '--list', 'suspicious', path]);
          expect(removed.code, removed.stderr).toBe(0);
        }
        for (const email of additions) holds[id]!.add(email);
        for (const email of removals) {
          holds[id]!.delete(email);
          removable[id]!.delete(email);
        }
      }
      const next = Promise.all(IDS.map((id) => nextFinished(daemons[id]!)));
      time.jump(INTERVAL);
      const records = await next;
      const expected = truth();
      for (const record of records) expect(record).toMatchObject({ status: 'completed', intersectionSize: expected.length });
      for (const id of IDS) expect(epochMatches(id), `${id} after round ${round}`).toEqual(expected);
    }

    // A fresh full round (plain, ad hoc) over the same lists finds exactly the epoch's matches.
    const fresh = nextFinished(daemons['lab-a']!);
    const ran = await venn(['round', '--dir', federation.node('lab-a').dir, '--peer', 'lab-b']);
    expect(ran.code, ran.stderr).toBe(0);
    const record = await fresh;
    expect(record.intersectionSize).toBe(truth().length);
    expect(roundMatches('lab-a', record.row)).toEqual(epochMatches('lab-a'));
  }, 240_000);
});
