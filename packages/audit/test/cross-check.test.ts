/** Exported logs and the cross-check of two labs' logs (audit.md §10): codec junk table, missing rounds, transcript mismatches, split views. */
import { CodecError, ValidationError } from '@venn/errors';
import { describe, expect, it } from 'vitest';
import {
  MAX_EXPORTED_LOG_BYTES,
  MIN_EXPORTED_LEAF_BYTES,
  crossCheckLogs,
  decodeExportedLog,
  encodeExportedLog,
  encodeRoundRecord,
  encodeSignedTreeHead,
  encodeTranscriptBundle,
  type PeerTreeHead,
  type RoundRecord,
} from '../src/index.js';
import { Lab, federation, kinds, record, roster } from './log-harness.js';
import { auditRoster, digest, exportBundle, keys, playRound } from './round-harness.js';

const encoder = new TextEncoder();

describe('cross-check', () => {
  it('two honest logs are consistent: every shared round matched, every head verified, rounds with others ignored', () => {
    const { a, b } = federation(6);
    const report = crossCheckLogs(decodeExportedLog(encodeExportedLog(a.exported())), decodeExportedLog(encodeExportedLog(b.exported())), roster);
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ consistent: true, matchedRounds: 6, pending: [] });
    expect(report.logs).toMatchObject([{ id: 'lab-a', size: 7, heads: 7, sharedLeaves: 6, peerHeadsOfOther: 5 }, { id: 'lab-b', size: 6, heads: 6, sharedLeaves: 6, peerHeadsOfOther: 5 }]);
  });

  it('flags a round one lab left out of its log', () => {
    const { a, b } = federation(6, { leafB: (n, leaf) => (n === 2 ? null : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.consistent).toBe(false);
    expect(kinds(report)).toEqual(['missing-round:lab-b']);
    expect(report.issues[0]!.roundId).toBe(Buffer.from(record(2).roundId).toString('hex'));
  });

  it('a round the holder has no later evidence about is pending, not missing', () => {
    const { a, b } = federation(6, { leafB: (n, leaf) => (n === 5 ? null : leaf) });
    // lab-b exported before it logged the last round; lab-a received no head of lab-b after it.
    const report = crossCheckLogs(a.exported(), b.exported(), auditRoster());
    expect(report.issues).toEqual([]);
    expect(report.pending.map((issue) => issue.kind)).toEqual(['missing-round']);
    expect(report.pending[0]!.detail).toContain('no evidence yet');
  });

  it('a missing round stays pending while the holder\'s later heads arrived within the settle window', () => {
    // Rounds an hour apart: lab-a's heads of lab-b after round 2 came less than 25 hours later, when
    // an honest lab-b could still have been running its attempt of round 2.
    const { a, b } = federation(6, { spacing: 3_600_000, leafB: (n, leaf) => (n === 2 ? null : leaf) });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([]);
    expect(report.pending.map((issue) => `${issue.kind}:${issue.lab}`)).toEqual(['missing-round:lab-b']);
  });

  it('the holder\'s receipts decide, not the other lab\'s timestamps: postdated heads do not settle a round', () => {
    // lab-b logged round 5 last and exported at once; lab-a, the lab lacking nothing, signs heads with
    // far-future timestamps. lab-a holds no head of lab-b received after round 5, so it stays pending.
    const { a, b } = federation(6, { leafB: (n, leaf) => (n === 5 ? null : leaf) });
    const postdated = new Lab('lab-b', keys.responder.secretKey);
    postdated.clock = 2 ** 52;
    for (let i = 0; i < b.log.size; i++) postdated.append(b.log.leaf(i));
    const report = crossCheckLogs(a.exported(), { ...postdated.exported(), peerHeads: b.received }, roster);
    expect(report.pending.map((issue) => issue.kind)).toContain('missing-round');
    expect(kinds(report).filter((kind) => kind.startsWith('missing-round'))).toEqual([]);
  });

  it('attack: a lab that leaves a round out and backdates its later heads does not make it pending', () => {
    // lab-a drops round 2 from its log and signs every later head with a time before round 2 ended;
    // lab-b received those heads in the OFFERs of rounds 3-5, each more than a day later by its clock.
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 2 ? null : leaf), headClockA: (n) => (n >= 2 ? record(1).timestamp + n : record(n).timestamp) });
    expect(a.latest()!.timestamp).toBeLessThan(record(2).timestamp);
    const report = crossCheckLogs(decodeExportedLog(encodeExportedLog(a.exported())), decodeExportedLog(encodeExportedLog(b.exported())), roster);
    expect(kinds(report)).toEqual(['missing-round:lab-a']);
    expect(report.issues[0]!.roundId).toBe(Buffer.from(record(2).roundId).toString('hex'));
    expect(report.pending).toEqual([]);
  });

  it('attack: a lab that hides a round and then sends no head at all is caught by the later rounds its export holds', () => {
    // lab-a drops round 2 and sends nil in every later OFFER; its export still holds rounds 3-5,
    // which lab-b began more than a day after round 2 ended.
    const { a, b } = federation(6, { leafA: (n, leaf) => (n === 2 ? null : leaf), sendsHeadA: (n) => n < 2 });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(kinds(report)).toEqual(['missing-round:lab-a']);
    expect(report.issues[0]!.detail).toMatch(/lab-a's export holds round [0-9a-f]{16}…, whose attempt lab-b ended at/);
  });

  it('a head the holder has beyond the other export is pending, or a split view once the export holds a later round', () => {
    const { a, b } = federation(8);
    // lab-a's export as its log stood after round 2 (rounds 0-2 and the round with lab-c): every head
    // lab-b received from round 4 on is larger.
    const cut = 4;
    const prefix = (): Lab => {
      const lab = new Lab('lab-a', keys.initiator.secretKey);
      for (let i = 0; i < cut; i++) {
        lab.clock = a.heads[i]!.timestamp - 1000;
        lab.append(a.log.leaf(i));
      }
      return lab;
    };
    const early = prefix();
    const old = crossCheckLogs({ ...early.exported(), peerHeads: [] }, b.exported(), roster);
    expect(old.issues).toEqual([]);
    expect(old.pending.filter((issue) => issue.kind === 'split-view')).toHaveLength(4);
    expect(old.pending.filter((issue) => issue.kind === 'missing-round')).toHaveLength(5);
    // The same export plus round 7, which lab-b began days after it received the heads of size 6 and 7:
    // the export came later than those heads yet holds fewer leaves (its own head is backdated). The
    // head of size 5 no longer matches the leaves at all.
    const shrunk = prefix();
    shrunk.clock = a.heads[0]!.timestamp - 500;
    shrunk.append(encodeRoundRecord(record(7)));
    const report = crossCheckLogs({ ...shrunk.exported(), peerHeads: [] }, b.exported(), roster);
    const split = report.issues.filter((issue) => issue.kind === 'split-view');
    expect(split.map((issue) => issue.lab)).toEqual(['lab-a', 'lab-a', 'lab-a']);
    expect(split.filter((issue) => issue.detail.includes('of size 5 has root'))).toHaveLength(1);
    expect(split.filter((issue) => /of size [67], yet lab-a's export has 5 leaves although it was taken later/.test(issue.detail))).toHaveLength(2);
    expect(report.pending.filter((issue) => issue.kind === 'split-view')).toHaveLength(1); // the head of size 8 came with round 7
    expect(kinds(report)).toContain('missing-round:lab-a');
  });

  it('flags rounds the two labs logged with different transcript hashes, and different shared fields', () => {
    const { a, b } = federation(4, { leafB: (n, leaf) => (n === 1 ? { ...leaf, transcriptHash: new Uint8Array(64).fill(9) } : n === 3 ? { ...leaf, slot: (leaf.slot ?? 0) + 3600 } : leaf) });
    expect(kinds(crossCheckLogs(a.exported(), b.exported(), roster)).sort()).toEqual(['record-mismatch:-', 'transcript-mismatch:-']);
  });

  it('pairs no aborted attempt hashes, since the two views of a broken attempt may differ; a completion against one is one-sided', () => {
    // Round 1: both aborted, and lab-b recorded a chunk lab-a never received, so the attempt hashes differ.
    // Round 3: lab-a completed; lab-b aborted after recording frames of its own view.
    const aborted = (leaf: RoundRecord, fill: number): RoundRecord => ({ ...leaf, status: 'aborted', reason: 'connection-lost', transcriptHash: new Uint8Array(64).fill(fill), initiatorClaim: null, responderClaim: null });
    const { a, b } = federation(4, {
      leafA: (n, leaf) => (n === 1 ? aborted(leaf, 1) : leaf),
      leafB: (n, leaf) => (n === 1 ? aborted(leaf, 2) : n === 3 ? aborted(leaf, 3) : leaf),
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(kinds(report)).toEqual(['one-sided-completion:-']);
    expect(report.issues[0]!.roundId).toBe(Buffer.from(record(3).roundId).toString('hex'));
  });

  it('flags a round one lab completed and the other recorded aborted, naming both statuses and reasons', () => {
    // lab-a completed round 2 with 1,500 matches; lab-b lost the last FINISH and logged the attempt aborted, with no transcript hash.
    const aborted = (leaf: RoundRecord): RoundRecord => ({ ...leaf, status: 'aborted', reason: 'connection-lost', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null });
    const { a, b } = federation(4, {
      leafA: (n, leaf) => (n === 2 ? { ...leaf, initiatorClaim: 1500, responderClaim: 1500 } : leaf),
      leafB: (n, leaf) => (n === 2 ? aborted(leaf) : leaf),
    });
    const report = crossCheckLogs(decodeExportedLog(encodeExportedLog(a.exported())), decodeExportedLog(encodeExportedLog(b.exported())), roster);
    expect(report.consistent).toBe(false);
    expect(kinds(report)).toEqual(['one-sided-completion:-']);
    const issue = report.issues[0]!;
    expect(issue.roundId).toBe(Buffer.from(record(2).roundId).toString('hex'));
    expect(issue.attempts).toEqual([1, 1]);
    expect(issue.detail).toMatch(/^lab-a recorded round [0-9a-f]{16}… attempt 1 completed with claims 1500\/1500; lab-b recorded no completion of it: attempt 1 aborted \(connection-lost\)$/);
    expect(report.matchedRounds).toBe(4);
  });

  it('flags one transcript recorded completed by one lab and aborted by the other, and a dispute the other recorded aborted', () => {
    const { a, b } = federation(4, {
      // Round 1: lab-b holds the transcript but refused lab-a's FINISH signature.
      leafB: (n, leaf) => (n === 1 ? { ...leaf, status: 'aborted', reason: 'bad-signature', responderClaim: null }
        : n === 3 ? { ...leaf, status: 'aborted', reason: 'timeout', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null } : leaf),
      // Round 3: lab-a recorded a dispute.
      leafA: (n, leaf) => (n === 3 ? { ...leaf, status: 'disputed', reason: 'size-mismatch', initiatorClaim: 10, responderClaim: 9 } : leaf),
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(kinds(report)).toEqual(['one-sided-completion:-', 'one-sided-completion:-']);
    expect(report.issues[0]!.detail).toMatch(/lab-a recorded round [0-9a-f]{16}… attempt 1 completed with claims 1\/1; lab-b recorded the same transcript attempt 1 aborted \(bad-signature\)/);
    expect(report.issues[1]!.detail).toMatch(/lab-a recorded round [0-9a-f]{16}… attempt 1 disputed \(size-mismatch\) with claims 10\/9; lab-b recorded no completion of it: attempt 1 aborted \(timeout\)/);
  });

  it('an attempt both labs recorded aborted, or one never reached, is no issue', () => {
    const aborted = (leaf: RoundRecord, reason: string): RoundRecord => ({ ...leaf, status: 'aborted', reason, transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null });
    const { a, b } = federation(4, {
      beforeA: (n) => (n === 3 ? [aborted(record(3), 'peer-unreachable')] : []),
      leafA: (n, leaf) => (n === 1 ? aborted(leaf, 'bad-proof') : n === 3 ? { ...leaf, attempt: 2 } : leaf),
      leafB: (n, leaf) => (n === 1 ? aborted(leaf, 'bad-proof') : leaf),
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([]);
    expect(report.matchedRounds).toBe(4);
  });

  it('pairs attempts by transcript: an attempt that never reached the peer shifts attempt numbers without an issue', () => {
    // lab-a: attempt 1 could not reach lab-b, attempt 2 completed; lab-b logged that completion as its attempt 1.
    const { a, b } = federation(3, {
      beforeA: (n) => (n === 1 ? [record(1, { status: 'aborted', reason: 'peer-unreachable', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null })] : []),
      leafA: (n, leaf) => (n === 1 ? { ...leaf, attempt: 2 } : leaf),
    });
    const report = crossCheckLogs(a.exported(), b.exported(), roster);
    expect(report.issues).toEqual([]);
    expect(report.matchedRounds).toBe(3);
  });

  it('detects a split view: the head a lab showed its peer does not fit the log it exports', () => {
    const { a, b } = federation(5);
    // lab-a rewrites round 1 in the log it exports, and re-signs its own heads over the new history.
    const forked = new Lab('lab-a', keys.initiator.secretKey);
    for (let i = 0; i < a.log.size; i++) forked.append(i === 1 ? encodeRoundRecord(record(1, { initiatorClaim: 0, responderClaim: 0 })) : a.log.leaf(i));
    const report = crossCheckLogs({ ...forked.exported(), peerHeads: a.received }, b.exported(), roster);
    expect(report.consistent).toBe(false);
    expect(report.issues.filter((issue) => issue.kind === 'split-view').every((issue) => issue.lab === 'lab-a')).toBe(true);
    expect(kinds(report)).toContain('split-view:lab-a');
    expect(kinds(report)).toContain('record-mismatch:-');
  });

  it('detects a log that shrank: a head the peer holds is larger than the export and older than its latest head', () => {
    const { a, b } = federation(5);
    const truncated = new Lab('lab-a', keys.initiator.secretKey);
    truncated.clock = a.clock + 10_000;
    for (let i = 0; i < 2; i++) truncated.append(a.log.leaf(i));
    const report = crossCheckLogs({ ...truncated.exported(), peerHeads: a.received }, b.exported(), roster);
    expect(kinds(report)).toContain('split-view:lab-a');
    expect(kinds(report)).toContain('missing-round:lab-a');
  });

  it('flags two heads of one size with different roots even beyond the export', () => {
    const { a, b } = federation(3);
    const other = new Lab('lab-a', keys.initiator.secretKey);
    for (let i = 0; i < 9; i++) other.append(encoder.encode(`x${i}`));
    const twin = new Lab('lab-a', keys.initiator.secretKey);
    for (let i = 0; i < 9; i++) twin.append(encoder.encode(`y${i}`));
    const heads = [other.latest()!, twin.latest()!];
    const report = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, ...heads.map((head) => ({ peerId: 'lab-a', head, opened: null, leafIndex: null }))] }, roster);
    expect(report.issues.filter((issue) => issue.kind === 'split-view' && issue.detail.includes('two heads of size 9'))).toHaveLength(1);
  });

  it('flags heads that do not verify, leaves that are not round records, and own heads beyond the export', () => {
    const { a, b } = federation(3);
    const forged = { ...a.latest()!, signature: new Uint8Array(64).fill(1) };
    const badHead = crossCheckLogs(a.exported(), { ...b.exported(), peerHeads: [...b.received, { peerId: 'lab-a', head: forged, opened: null, leafIndex: null }] }, roster);
    expect(kinds(badHead)).toEqual(['invalid-head:lab-b']);
    const broken = crossCheckLogs({ ...a.exported(), leaves: [...a.exported().leaves.slice(0, -1), encoder.encode('not a round record'.padEnd(80, '.'))], heads: a.heads.slice(0, -1) }, b.exported(), roster);
    expect(kinds(broken)).toContain('invalid-log:lab-a');
    const short = crossCheckLogs({ ...a.exported(), leaves: a.exported().leaves.slice(0, 2) }, b.exported(), roster);
    expect(short.issues.some((issue) => issue.kind === 'invalid-log' && issue.detail.includes('signed a head of size'))).toBe(true);
    expect(() => crossCheckLogs(a.exported(), a.exported(), roster)).toThrow(ValidationError);
  });

  const junk: Array<[string, () => unknown[]]> = [
    ['a log that is null', () => [null, federation(1).b.exported(), roster]],
    ['a log whose leaves are strings', () => [{ ...federation(1).a.exported(), leaves: ['leaf'] }, federation(1).b.exported(), roster]],
    ['a log with an empty leaf', () => [{ ...federation(1).a.exported(), leaves: [new Uint8Array(0)] }, federation(1).b.exported(), roster]],
    ['a log id that is not a member id', () => [{ ...federation(1).a.exported(), logId: 'Lab A' }, federation(1).b.exported(), roster]],
    ['a roster without members', () => [federation(1).a.exported(), federation(1).b.exported(), { ...roster, members: null }]],
  ];
  it.each(junk)('refuses %s with a ValidationError', (_, args) => {
    expect(() => (crossCheckLogs as (...values: unknown[]) => unknown)(...args())).toThrow(ValidationError);
  });
});

describe('exported log codec', () => {
  const { a } = federation(3);
  const valid = encodeExportedLog(a.exported());

  it('round-trips to identical bytes and sorts heads canonically', () => {
    const decoded = decodeExportedLog(valid);
    expect(Buffer.from(encodeExportedLog(decoded)).equals(Buffer.from(valid))).toBe(true);
    expect(decoded.leaves).toHaveLength(a.log.size);
    expect(decoded.heads.map((head) => head.size)).toEqual(a.heads.map((head) => head.size));
    const shuffled = encodeExportedLog({ ...a.exported(), heads: [...a.heads].reverse(), peerHeads: [...a.received].reverse() });
    expect(Buffer.from(shuffled).equals(Buffer.from(valid))).toBe(true);
    expect(() => encodeExportedLog({ ...a.exported(), heads: [a.heads[0]!, a.heads[0]!] })).toThrow(expect.objectContaining({ code: 'duplicate-head' }));
  });

  it('keeps each peer head\'s receipt (audit.md §10.1, version 2)', () => {
    const decoded = decodeExportedLog(valid);
    expect(decoded.peerHeads.length).toBeGreaterThan(1);
    expect(decoded.peerHeads).toEqual(a.received);
    const unknown = encodeExportedLog({ ...a.exported(), peerHeads: a.received.map((entry) => ({ ...entry, opened: null, leafIndex: null })) });
    expect(decodeExportedLog(unknown).peerHeads.every((entry) => entry.opened === null && entry.leafIndex === null)).toBe(true);
    const refused: Array<[string, Partial<PeerTreeHead>[] | undefined]> = [
      ['a repeated head', [a.received[0]!, { ...a.received[0]!, opened: 1 }]],
      ['a negative opening', [{ ...a.received[0]!, opened: -1 }]],
      ['a fractional leaf index', [{ ...a.received[0]!, leafIndex: 1.5 }]],
      ['a missing receipt', [{ peerId: 'lab-b', head: a.received[0]!.head }]],
    ];
    for (const [name, peerHeads] of refused) {
      expect(() => encodeExportedLog({ ...a.exported(), peerHeads: peerHeads as PeerTreeHead[] }), name).toThrow(ValidationError);
    }
    expect(() => encodeExportedLog({ ...a.exported(), leaves: [new Uint8Array(MIN_EXPORTED_LEAF_BYTES - 1)] })).toThrow(expect.objectContaining({ code: 'wrong-length' }));
  });

  const splice = (find: readonly number[], replace: readonly number[]): Uint8Array => {
    const at = Buffer.from(valid).indexOf(Buffer.from(find));
    if (at < 0) throw new Error('pattern not found');
    return Uint8Array.from([...valid.subarray(0, at), ...replace, ...valid.subarray(at + find.length)]);
  };
  const ascii = (text: string): number[] => [...encoder.encode(text)];
  const bundle = encodeTranscriptBundle(exportBundle(playRound({ elements: { initiator: [digest('x')], responder: [digest('x')] } }), 'initiator'));
  const headBytes = (): number[] => [0xa5, ...ascii('heads'), 0x90 | a.heads.length];
  const junk: Array<[string, () => unknown, string]> = [
    ['a number', () => 7, 'invalid-type'],
    ['no bytes', () => new Uint8Array(0), 'empty'],
    ['more bytes than any export', () => new Uint8Array(MAX_EXPORTED_LOG_BYTES + 1), 'too-large'],
    ['a transcript bundle', () => bundle, 'wrong-format'],
    ['version 9', () => splice([0xa1, 0x76, 0x02], [0xa1, 0x76, 0x09]), 'unsupported-version'],
    ['a version-1 log (peer heads without receipts)', () => splice([0xa1, 0x76, 0x02], [0xa1, 0x76, 0x01]), 'unsupported-version'],
    ['a leaf shorter than any round record', () => encodeExportedLogUnchecked(valid, MIN_EXPORTED_LEAF_BYTES - 1), 'wrong-length'],
    ['a peer entry without its receipt keys', () => splice([0x84, 0xa4, ...ascii('peer')], [0x82, 0xa4, ...ascii('peer')]), 'missing-field'],
    ['a peer entry with "opened" as a string', () => splice([0xa6, ...ascii('opened'), 0xcf], [0xa6, ...ascii('opened'), 0xa8]), 'wrong-type'],
    ['a peer entry opened after 2^53-1', () => splice([0xa6, ...ascii('opened'), 0xcf, 0x00, 0x00], [0xa6, ...ascii('opened'), 0xcf, 0xff, 0xff]), 'out-of-range'],
    ['a peer entry with keys out of order', () => splice([0xa6, ...ascii('opened')], [0xa6, ...ascii('leaf\u0000\u0000')]), 'unknown-field'],
    ['one peer head listed twice', () => {
      // The second entry's head replaced by the first's: equal entries have no canonical order.
      const file = Buffer.from(valid);
      const [x, y] = a.received.slice(0, 2).map((entry) => Buffer.from(encodeSignedTreeHead(entry.head)));
      x!.copy(file, file.indexOf(y!));
      return new Uint8Array(file);
    }, 'non-canonical-encoding'],
    ['a truncated file', () => valid.subarray(0, valid.length - 3), 'truncated'],
    ['a trailing byte', () => Uint8Array.from([...valid, 0xc0]), 'trailing-bytes'],
    ['a map with a missing key', () => Uint8Array.from([valid[0]! - 1, ...valid.subarray(1)]), 'missing-field'],
    ['a log id that is not a member id', () => splice([0xa3, ...ascii('log'), 0xa5, ...ascii('lab-a')], [0xa3, ...ascii('log'), 0xa5, ...ascii('lab_a')]), 'invalid-field'],
    ['heads out of order', () => {
      // The two heads' 113-byte encodings trade places.
      const file = Buffer.from(valid);
      const [x, y] = [a.heads[0]!, a.heads[1]!].map((head) => Buffer.from(encodeSignedTreeHead(head)));
      const at = [file.indexOf(x!), file.indexOf(y!)] as const;
      y!.copy(file, at[0]);
      x!.copy(file, at[1]);
      return new Uint8Array(file);
    }, 'non-canonical-encoding'],
    ['a head of 114 bytes', () => splice([...headBytes(), 0xc4, 113], [...headBytes(), 0xc4, 114]), 'wrong-length'],
    ['a leaf longer than any round record', () => encodeExportedLogUnchecked(valid, 400), 'wrong-length'],
    ['a peer entry with an extra key', () => splice([0x84, 0xa4, ...ascii('peer')], [0x85, 0xa4, ...ascii('peer')]), 'unknown-field'],
  ];
  it.each(junk)('refuses %s with a typed CodecError', (_, input, code) => {
    const attempt = (): unknown => decodeExportedLog(input() as Uint8Array);
    expect(attempt).toThrow(CodecError);
    expect(attempt).toThrow(expect.objectContaining({ code }));
  });
});

/** The valid file with its leaves array replaced by one leaf of `length` bytes (the encoder refuses to write that). */
function encodeExportedLogUnchecked(valid: Uint8Array, length: number): Uint8Array {
  const file = Buffer.from(valid);
  const key = Buffer.from([0xa6, ...encoder.encode('leaves')]);
  const at = file.indexOf(key) + key.length;
  const headsKey = file.indexOf(Buffer.from([0xa5, ...encoder.encode('heads')]));
  const header = length < 0x100 ? [0xc4, length] : [0xc5, length >> 8, length & 0xff];
  const leaf = Buffer.concat([Buffer.from([0x91, ...header]), Buffer.alloc(length, 1)]);
  return new Uint8Array(Buffer.concat([file.subarray(0, at), leaf, file.subarray(headsKey)]));
}
