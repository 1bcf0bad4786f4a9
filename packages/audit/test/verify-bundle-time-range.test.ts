/**
 * Timestamps a member asserts beyond the range of a date (audit.md §3, §4: any u64 up to 2^53 − 1
 * decodes): a leaf slot at or after 8.64e12 s fails check `slot` naming the exporter, and a head
 * validly signed with a far-future timestamp is reported as such; the verifier never throws.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, buildTranscriptBundle, encodeRoundRecord, signTreeHead, verifyTranscriptBundle, type RoundRecord, type TranscriptBundle } from '../src/index.js';
import { auditRoster, digest, exportBundle, hourlySchedule, ids, keys, leafRecord, playRound, type PlayedRound } from './round-harness.js';

const played = playRound({ elements: { initiator: ['s1', 's2', 's3', 'a1', 'a2'].map(digest), responder: ['b1', 's3', 'b2', 's1', 's2', 'b3'].map(digest) } });

/** The exporter's bundle of `played`, its head signed at `timestamp`. */
function bundleWithHeadAt(exporter: 'initiator' | 'responder', timestamp: number, leaf: Partial<RoundRecord> = {}): TranscriptBundle {
  const log = new MerkleLog(new MemoryLogStorage());
  const { index } = log.append(encodeRoundRecord(leafRecord(played, exporter, leaf)));
  const treeHead = signTreeHead(log.treeHead(timestamp), ids[exporter], keys[exporter].secretKey.slice());
  return buildTranscriptBundle({ exporter: ids[exporter], leaf: log.leaf(index), leafIndex: index, treeHead, inclusionProof: log.inclusionProof(index, treeHead.size), messages: played.records[exporter] });
}

const check = (bundle: TranscriptBundle, name: string, roster = auditRoster()) => verifyTranscriptBundle(bundle, roster).checks.find((entry) => entry.name === name)!;

describe('a head signed with a timestamp a date cannot hold', () => {
  it('2^53 − 1 ms: the round verifies, the head reported with its number of ms', () => {
    const report = verifyTranscriptBundle(bundleWithHeadAt('initiator', 2 ** 53 - 1), auditRoster());
    expect(report.valid).toBe(true);
    expect(report.checks.find((entry) => entry.name === 'tree-head')!.detail).toBe(`lab-a's head of size 1 at ${2 ** 53 - 1} ms is signed by its roster key`);
  });

  it('8.64e15 ms is the last date, written as one; a millisecond later is written in ms', () => {
    expect(check(bundleWithHeadAt('responder', 8.64e15), 'tree-head').detail).toBe("lab-b's head of size 1 at +275760-09-13T00:00:00.000Z is signed by its roster key");
    expect(check(bundleWithHeadAt('responder', 8.64e15 + 1), 'tree-head').detail).toBe(`lab-b's head of size 1 at ${8.64e15 + 1} ms is signed by its roster key`);
  });
});

describe('a leaf slot at or after 8.64e12 s', () => {
  // A schedule whose every second is an instant: only the range bound can refuse these slots.
  const everySecond = { ...auditRoster(), schedule: { ...hourlySchedule, isSlot: (slot: number) => Number.isSafeInteger(slot) } };

  for (const slot of [8_640_000_000_000, 8_640_000_000_001, 2 ** 53 - 1]) {
    it(`${slot} fails check "slot" naming the exporter, before the schedule is asked`, () => {
      const asked: number[] = [];
      const roster = { ...everySecond, schedule: { ...everySecond.schedule, isSlot: (s: number) => { asked.push(s); return true; } } };
      expect(check(exportBundle(played, 'initiator', { leaf: { slot } }), 'slot', roster)).toEqual({
        name: 'slot', status: 'fail', party: 'exporter', member: 'lab-a',
        detail: `the leaf's slot ${slot} s is not before 8640000000000 s (+275760-09-13T00:00:00.000Z), where the time a schedule can name ends`,
      });
      expect(asked).toEqual([]);
    });
  }

  it('8,639,999,999,999 s is asked of the schedule, and then fails for its round id', () => {
    const report = check(exportBundle(played, 'initiator', { leaf: { slot: 8_639_999_999_999 } }), 'slot', everySecond);
    expect(report).toMatchObject({ name: 'slot', status: 'fail', party: 'exporter' });
    expect(report.detail).toMatch(/^round [0-9a-f]{64} is logged for slot \+275760-09-12T23:59:59\.000Z, whose round id is [0-9a-f]{64}$/);
  });
});
