/** The demo's report and ground-truth check, on a small synthesized federation and hand-made match rows. */
import { describe, expect, it } from 'vitest';
import { agreedFields, checkLab, epochRoundLines, labelLines, matchesByKind, pairCpuMs, percentOf, roundLines, type EpochPairRound, type MatchView, type RoundView } from '../src/internal/demo-report.js';
import { synthesize } from '../src/internal/synth.js';
import type { LabelField } from '../src/internal/config.js';

const truth = synthesize({ labs: 3, size: 200, seed: 3, overlap: 0.3, kinds: ['email', 'ip'] }).groundTruth;
const share: Record<string, readonly LabelField[]> = { 'lab-a': ['category', 'first_seen', 'reason'], 'lab-b': ['category', 'first_seen'], 'lab-c': [] };

/** What `venn matches` would print for `lab` if the rounds found exactly the planted matches. */
function perfect(lab: string): MatchView[] {
  return truth.expected[lab]!.matches.map((m) => {
    const peerLabels: Record<string, { category?: string; firstSeen?: string; reason?: string }> = {};
    for (const peer of m.peers) {
      const fields = agreedFields(share, lab, peer);
      const labels = m.peerLabels[peer];
      const kept: { category?: string; firstSeen?: string; reason?: string } = {};
      if (labels?.category !== undefined && fields.includes('category')) kept.category = labels.category;
      if (labels?.firstSeen !== undefined && fields.includes('first_seen')) kept.firstSeen = labels.firstSeen;
      if (labels?.reason !== undefined && fields.includes('reason')) kept.reason = labels.reason;
      if (Object.keys(kept).length > 0) peerLabels[peer] = kept;
    }
    return { kind: m.kind, accountRef: m.account, peers: [...m.peers], peerLabels };
  });
}

describe('checkLab', () => {
  it('passes exactly the planted matches with the agreed labels', () => {
    for (const lab of truth.labs) expect(checkLab(lab, perfect(lab), truth, share)).toMatchObject({ ok: true, missing: [], unexpected: [], wrongPeers: [], wrongLabels: [] });
  });

  it('names a missing match, an extra one, wrong peers and a leaked label field', () => {
    const rows = perfect('lab-a');
    const [dropped, ...rest] = rows;
    const ringRow = rest.findIndex((r) => r.peers.length === 2);
    const labelled = rest.findIndex((r, i) => i !== ringRow && r.peerLabels['lab-b']?.category !== undefined);
    const changed = rest.map((row, i) => {
      if (i === ringRow) return { ...row, peers: ['lab-b'] };
      // lab-b and lab-a did not agree on "reason", so a reason from lab-b cannot be right.
      if (i === labelled) return { ...row, peerLabels: { ...row.peerLabels, 'lab-b': { ...row.peerLabels['lab-b'], reason: 'not agreed' } } };
      return row;
    });
    changed.push({ kind: 'email', accountRef: 'acct_never', peers: ['lab-c'], peerLabels: {} });
    const result = checkLab('lab-a', changed, truth, share);
    expect(result.ok).toBe(false);
    expect(result.missing).toEqual([`${dropped!.kind}:${dropped!.accountRef}`]);
    expect(result.unexpected).toEqual(['email:acct_never']);
    expect(result.wrongPeers).toHaveLength(1);
    expect(result.wrongLabels).toEqual([`${rest[labelled]!.kind}:${rest[labelled]!.accountRef} from lab-b`]);
  });

  it('agrees on the label fields both policies share', () => {
    expect(agreedFields(share, 'lab-a', 'lab-b')).toEqual(['category', 'first_seen']);
    expect(agreedFields(share, 'lab-b', 'lab-a')).toEqual(['category', 'first_seen']);
    expect(agreedFields(share, 'lab-a', 'lab-c')).toEqual([]);
    expect(agreedFields(share, 'lab-a', 'lab-z')).toEqual([]);
  });
});

describe('report', () => {
  it('counts matches per kind and peer, with the ring in "every peer"', () => {
    const rows = perfect('lab-a');
    const table = matchesByKind(rows, ['lab-b', 'lab-c']);
    expect(table.headers).toEqual(['KIND', 'HELD BY lab-b', 'HELD BY lab-c', 'EVERY PEER', 'MATCHES']);
    const ring = truth.groups.find((g) => g.name === 'ring')!.size;
    const pair = truth.groups.find((g) => g.name === 'lab-a+lab-b')!.size;
    expect(table.rows.at(-1)).toEqual(['all kinds', String(ring + pair), String(ring + pair), String(ring), String(ring + 2 * pair)]);
    expect(table.rows.slice(0, -1).map((r) => r[0])).toEqual(['email', 'ip']);
  });

  it('says which label fields each peer shared, or why none', () => {
    const lines = labelLines('lab-a', perfect('lab-a'), ['lab-b', 'lab-c'], share);
    expect(lines[0]).toMatch(/^lab-b: category, first_seen on \d+ of \d+ matches; distillation ×\d+/);
    expect(lines[1]).toBe('lab-c: no label fields agreed (lab-a shares category, first_seen, reason, lab-c shares none)');
  });

  it('prints round timings from start and finish', () => {
    expect(roundLines([{ roundId: 'ab', peer: 'lab-b', role: 'initiator', origin: 'scheduled', status: 'completed', reason: null, startedAt: '2030-01-01T00:00:00.000Z', finishedAt: '2030-01-01T00:00:02.500Z', localSetSize: 3000, peerSetSize: 2900, intersectionSize: 210, transcriptHash: 'f'.repeat(128) }]))
      .toEqual([['lab-b', 'initiator', 'completed', '3,000 / 2,900', '210', '2.5 s', 'ffffffffffffffff']]);
  });
});

describe('epoch rounds', () => {
  const row = (fields: Partial<RoundView> & Pick<RoundView, 'epoch'>): RoundView => ({
    roundId: 'ab', peer: 'lab-b', role: 'initiator', origin: 'scheduled', status: 'completed', reason: null, startedAt: null, finishedAt: null,
    localSetSize: null, peerSetSize: null, intersectionSize: null, transcriptHash: null, ...fields,
  });
  const epoch = (kind: 'start' | 'incremental', index: number, additions: number, newMatches: number) => ({ epochId: 'e', index, kind, additions, removals: 0, peerAdditions: 0, peerRemovals: 0, newMatches, endedMatches: 0 });

  it('prints kind, what each lab carried, new matches and both labs\' cost', () => {
    const start: EpochPairRound = {
      pair: 'lab-a ⇄ lab-b', labs: ['lab-a', 'lab-b'],
      rows: [
        row({ epoch: epoch('start', 0, 3000, 210), durationMs: 2300, elementsBlinded: 3000, elementsEvaluated: 3001, workerCpuMs: 700 }),
        row({ epoch: epoch('start', 0, 3001, 210), durationMs: 2250, elementsBlinded: 3001, elementsEvaluated: 3000, workerCpuMs: 720 }),
      ],
    };
    const incremental: EpochPairRound = {
      pair: 'lab-a ⇄ lab-b', labs: ['lab-a', 'lab-b'],
      rows: [
        row({ epoch: { ...epoch('incremental', 1, 1, 1), removals: 2 }, durationMs: 60, elementsBlinded: 1, elementsEvaluated: 0, workerCpuMs: 9 }),
        row({ epoch: epoch('incremental', 1, 0, 1), durationMs: 69, elementsBlinded: 0, elementsEvaluated: 1, workerCpuMs: 11 }),
      ],
    };
    expect(epochRoundLines([start, incremental])).toEqual([
      ['lab-a ⇄ lab-b', 'start #0', '+3,000 / +3,001', '210', '2.3 s', '12,002', '1.4 s'],
      ['lab-a ⇄ lab-b', 'incremental #1', '+1 -2 / +0', '1', '69 ms', '2', '20 ms'],
    ]);
    expect(percentOf(pairCpuMs(incremental)!, pairCpuMs(start)!)).toBe('1.4 %');
    expect(percentOf(2, 12_002)).toBe('0.017 %');
    // A side that could not measure its worker's CPU leaves the pair's CPU unknown, not understated.
    expect(pairCpuMs({ ...incremental, rows: [incremental.rows[0], { ...incremental.rows[1], workerCpuMs: null }] })).toBeNull();
  });
});
