/**
 * `venn audit` against real daemons: bundles exported from both labs verify under the roster and
 * hold no identifier; heads, proofs, exported logs and the cross-check agree; and the log continues
 * with consistent heads across a kill -9 and restart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExportedLog, decodeRoundRecord, verifyTreeHead } from '@venn/audit';
import { ready as cryptoReady, hashToGroup } from '@venn/crypto';
import { hashIdentifier } from '@venn/identifiers';
import { HASH_TO_GROUP_DST } from '@venn/protocol';
import { ensureBuilt } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type LogLine } from './helpers/federation.js';

beforeAll(() => ensureBuilt());

const SLOT = Date.parse('2032-01-01T00:00:00Z');
const finished = (line: LogLine): boolean => line.msg === 'round attempt finished';

interface HeadReport { log: string; logSize: number; current: boolean; signatureValid: boolean; head: { size: number; root: string; encoded: string } }

async function json<T>(args: string[]): Promise<T> {
  const result = await venn(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe('venn audit with two daemons', () => {
  let federation: Federation;
  let roundId = '';
  const lists = { 'lab-a': emails(0, 120), 'lab-b': emails(80, 200) };
  const file = (name: string): string => join(federation.root, name);

  beforeAll(async () => {
    await cryptoReady();
    federation = await Federation.create({
      ids: ['lab-a', 'lab-b'], cron: '0 0 1 1 *', windowMinutes: 10,
      initArgs: { 'lab-a': ['--share-labels', 'category'], 'lab-b': ['--share-labels', 'category'] },
    });
    await federation.ingest('lab-a', lists['lab-a']);
    await federation.ingest('lab-b', lists['lab-b']);
    await federation.startAll(SLOT - 3000);
    const [doneA, doneB] = await Promise.all(['lab-a', 'lab-b'].map((id) => federation.node(id).waitForLog(finished, 90_000, 'finished round')));
    expect(doneA).toMatchObject({ status: 'completed', intersectionSize: 40 });
    expect(doneB).toMatchObject({ status: 'completed', intersectionSize: 40 });
    roundId = String(doneA!['roundId']);
  }, 120_000);
  afterAll(() => federation.close());

  it('exports a bundle from each lab that verifies under the roster, with sizes recomputed from the evaluations', async () => {
    for (const id of ['lab-a', 'lab-b']) {
      const out = file(`${id}.bundle`);
      const exported = await venn(['audit', 'export', '--dir', federation.node(id).dir, '--round', roundId.slice(0, 12), '--out', out]);
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      expect(exported.stdout).toContain(`round ${roundId} attempt 1 (completed)`);
      const verified = await venn(['audit', 'verify', out, '--roster', federation.rosterPath]);
      expect(verified.stderr).toBe('');
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(/valid: every check passed \(completed\)\n$/);
      const report = await json<{ valid: boolean; summary: Record<string, unknown>; checks: Array<{ name: string; status: string }> }>(['audit', 'verify', out, '--roster', federation.rosterPath, '--json']);
      expect(report.valid).toBe(true);
      expect(report.checks.every((check) => check.status === 'pass')).toBe(true);
      expect(report.summary).toMatchObject({
        exporter: id, roundId, mode: 'intersection', status: 'completed', slot: SLOT / 1000,
        setSizes: { initiator: 120, responder: 120 }, claims: { initiator: 40, responder: 40 }, recomputed: { initiator: 40, responder: 40 },
      });
    }
    // Both labs exported the same frames: the bundles differ only in whose leaf, head and proof they carry.
    const [a, b] = ['lab-a', 'lab-b'].map((id) => readFileSync(file(`${id}.bundle`)).length);
    expect(Math.abs(a! - b!)).toBeLessThan(64);
  });

  it('a bundle with one byte changed fails, naming the check and the party at fault', async () => {
    const bytes = readFileSync(file('lab-a.bundle'));
    // A byte in the middle of the bundle lies inside a BLINDED or EVALUATED chunk.
    bytes[bytes.length >> 1] ^= 0x40;
    writeFileSync(file('tampered.bundle'), bytes);
    const result = await venn(['audit', 'verify', file('tampered.bundle'), '--roster', federation.rosterPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^venn audit verify: invalid: check "[a-z-]+" failed; party at fault: (initiator|responder|exporter) \(lab-[ab]\): .+\n$/);
  });

  it('bundles hold no raw identifier, digest, H(e), account reference or label', async () => {
    const needles: Array<[string, Buffer]> = [];
    for (const [id, list] of Object.entries(lists)) {
      for (const email of list) {
        const { digest } = hashIdentifier('email', email);
        needles.push([email, Buffer.from(email)], [`digest of ${email}`, Buffer.from(digest)], [`H(e) of ${email}`, Buffer.from(hashToGroup(digest, HASH_TO_GROUP_DST))]);
        needles.push([`account of ${email}`, Buffer.from(`acct-${email.split('@')[0]}`)]);
      }
      needles.push([`label of ${id}`, Buffer.from(`seen-by-${id}`)]);
    }
    for (const id of ['lab-a', 'lab-b']) {
      const bundle = readFileSync(file(`${id}.bundle`));
      expect(needles.filter(([, needle]) => bundle.includes(needle)).map(([what]) => what)).toEqual([]);
    }
    // The labels did flow in the round (so their absence above means something): matches carry them.
    const matches = await json<Array<{ peerLabels: Record<string, Record<string, string>> }>>(['matches', '--dir', federation.node('lab-a').dir, '--format', 'json']);
    expect(matches.length).toBe(40);
    expect(matches.every((row) => row.peerLabels['lab-b']?.['category'] === 'seen-by-lab-b')).toBe(true);
  });

  it('head, inclusion proof, exported logs and cross-check agree', async () => {
    const head = await json<HeadReport>(['audit', 'head', '--dir', federation.node('lab-a').dir, '--json']);
    expect(head).toMatchObject({ log: 'lab-a', logSize: 1, current: true, signatureValid: true, head: { size: 1 } });
    expect(head.head.encoded).toMatch(/^01[0-9a-f]{224}$/);
    const inclusion = await json<{ verified: boolean; leafIndex: number; head: { root: string } }>(['audit', 'prove', '--dir', federation.node('lab-a').dir, '--round', roundId, '--json']);
    expect(inclusion).toMatchObject({ verified: true, leafIndex: 0, head: { root: head.head.root } });
    for (const id of ['lab-a', 'lab-b']) {
      const result = await venn(['audit', 'export-log', '--dir', federation.node(id).dir, '--out', file(`${id}.log`)]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${id}'s log, 1 leaves`);
    }
    // SPEC §5.3: a node whose log is still empty sends a signed head of size 0, never nil. Both logs
    // were empty when this round started, so each lab holds the other's head of size 0 from its OFFER.
    const roster = JSON.parse(readFileSync(federation.rosterPath, 'utf8')) as { members: Array<{ id: string; identityKey: string }> };
    for (const [id, peer] of [['lab-a', 'lab-b'], ['lab-b', 'lab-a']] as const) {
      const held = decodeExportedLog(readFileSync(file(`${id}.log`))).peerHeads.filter((entry) => entry.peerId === peer);
      expect(held.map((entry) => entry.head.size)).toEqual([0]);
      expect(Buffer.from(held[0]!.head.root).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      const key = new Uint8Array(Buffer.from(roster.members.find((member) => member.id === peer)!.identityKey, 'hex'));
      expect(verifyTreeHead(held[0]!.head, peer, key)).toBe(true);
    }
    const check = await venn(['audit', 'cross-check', file('lab-a.log'), file('lab-b.log'), '--roster', federation.rosterPath]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('1 rounds in both logs');
    expect(check.stdout).toMatch(/consistent: no issue found\n$/);
  });

  it('after kill -9 and a restart the log continues, and the new heads are consistent with the old ones', async () => {
    const a = federation.node('lab-a');
    const before = await json<HeadReport>(['audit', 'head', '--dir', a.dir, '--json']);
    a.signal('SIGKILL');
    await a.exited();
    a.start();
    await a.started();
    // lab-b opens an ad-hoc round; lab-a answers with the head it signed before the crash in its OFFER.
    const round = await json<{ status: string; roundId: string }>(['round', '--dir', federation.node('lab-b').dir, '--peer', 'lab-a', '--json']);
    expect(round.status).toBe('completed');
    const after = await json<HeadReport>(['audit', 'head', '--dir', a.dir, '--json']);
    expect(after).toMatchObject({ logSize: before.logSize + 1, current: true, signatureValid: true, head: { size: before.head.size + 1 } });
    const consistency = await json<{ verified: boolean; from: { root: string; head: { encoded: string } | null }; to: { root: string } }>(
      ['audit', 'prove', '--dir', a.dir, '--from', String(before.head.size), '--to', String(after.head.size), '--json'],
    );
    expect(consistency.verified).toBe(true);
    // The pre-crash signed head is still in the store, and the proof starts from its root.
    expect(consistency.from.root).toBe(before.head.root);
    expect(consistency.from.head?.encoded).toBe(before.head.encoded);
    expect(consistency.to.root).toBe(after.head.root);
    // The ad-hoc round's bundle from lab-a (the responder now) verifies too.
    const out = file('ad-hoc.bundle');
    expect((await venn(['audit', 'export', '--dir', a.dir, '--round', round.roundId, '--out', out])).code).toBe(0);
    const report = await json<{ valid: boolean; summary: { slot: number | null; initiator: string } }>(['audit', 'verify', out, '--roster', federation.rosterPath, '--json']);
    expect(report).toMatchObject({ valid: true, summary: { slot: null, initiator: 'lab-b' } });
    // lab-b stored the head lab-a sent in its OFFER; the cross-check finds it consistent with lab-a's log.
    for (const id of ['lab-a', 'lab-b']) expect((await venn(['audit', 'export-log', '--dir', federation.node(id).dir, '--out', file(`${id}-2.log`)])).code).toBe(0);
    const check = await json<{ consistent: boolean; matchedRounds: number; logs: Array<{ id: string; size: number; peerHeadsOfOther: number }> }>(
      ['audit', 'cross-check', file('lab-a-2.log'), file('lab-b-2.log'), '--roster', federation.rosterPath, '--json'],
    );
    expect(check).toMatchObject({ consistent: true, matchedRounds: 2, logs: [{ id: 'lab-a', size: 2 }, { id: 'lab-b', size: 2 }] });
    expect(check.logs[1]!.peerHeadsOfOther).toBeGreaterThanOrEqual(1);
    // audit.md §10.1: every peer head comes with its receipt, the opening of the session that carried
    // it and that attempt's leaf, a round with that peer which ended after the opening.
    for (const [id, peer] of [['lab-a', 'lab-b'], ['lab-b', 'lab-a']] as const) {
      const log = decodeExportedLog(readFileSync(file(`${id}-2.log`)));
      const held = log.peerHeads.filter((entry) => entry.peerId === peer);
      expect(held.length).toBeGreaterThanOrEqual(1);
      for (const entry of held) {
        expect(entry.leafIndex).not.toBeNull();
        const leaf = decodeRoundRecord(log.leaves[entry.leafIndex!]!);
        expect([leaf.initiatorId, leaf.responderId].sort()).toEqual(['lab-a', 'lab-b']);
        expect(entry.opened).toEqual(expect.any(Number));
        expect(entry.opened!).toBeLessThanOrEqual(leaf.timestamp);
        expect(leaf.timestamp - entry.opened!).toBeLessThan(60_000);
      }
    }
  }, 120_000);
});
