/** Sample messages shared by the wire tests: one of each kind, at realistic sizes. */
import { MAX_CHUNK_POINTS, MAX_LABEL_ENTRIES, type Message } from '@venn/wire';
import { Packr } from 'msgpackr';

export function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export const roundId = bytes(32, 0x11);

export const samples: Record<string, Message> = {
  offer: {
    kind: 'offer',
    version: 2,
    roundId,
    rosterDigest: bytes(32, 0x22),
    sender: 'lab-a',
    receiver: 'lab-b',
    mode: 'intersection',
    setSize: 10_000,
    maxPeerSetSize: 65_536,
    labelFields: ['category', 'reason'],
    identifierRules: 'venn-identifiers/2025-11 hygiene/7 phone-metadata/8.13.52',
    publicKey: bytes(32, 0x33),
    logHead: { size: 42, root: bytes(32, 0x44), timestamp: 1_767_225_600_000, signature: bytes(64, 0x55) },
  },
  offerWithoutHead: {
    kind: 'offer',
    version: 2,
    roundId,
    rosterDigest: bytes(32, 0x22),
    sender: 'lab-b',
    receiver: 'lab-a',
    mode: 'cardinality',
    setSize: 0,
    maxPeerSetSize: 0,
    labelFields: [],
    identifierRules: 'x'.repeat(128),
    publicKey: bytes(32, 0x33),
    logHead: null,
  },
  offerEpoch: {
    kind: 'offer',
    version: 2,
    roundId,
    rosterDigest: bytes(32, 0x22),
    sender: 'lab-a',
    receiver: 'lab-b',
    mode: 'intersection',
    setSize: 1_048_576,
    maxPeerSetSize: 1_048_576,
    labelFields: ['category', 'first_seen', 'reason'],
    identifierRules: 'venn-identifiers/2025-11 hygiene/7 phone-metadata/8.13.52',
    publicKey: bytes(32, 0x33),
    logHead: { size: 42, root: bytes(32, 0x44), timestamp: 1_767_225_600_000, signature: bytes(64, 0x55) },
    epoch: { id: bytes(32, 0xe1), index: 0xffff_ffff, previousHash: bytes(64, 0xe2), accumulated: 16_777_216, removals: 1_048_576, epochCap: 16_777_216 },
  },
  removed: { kind: 'removed', roundId, seq: 2, points: bytes(32 * MAX_CHUNK_POINTS, 0x6a) },
  removedShort: { kind: 'removed', roundId, seq: 0, points: bytes(32, 0x6b) },
  blinded: { kind: 'blinded', roundId, seq: 0, points: bytes(32 * MAX_CHUNK_POINTS, 0x66) },
  blindedShort: { kind: 'blinded', roundId, seq: 15, points: bytes(32, 0x67) },
  evaluated: { kind: 'evaluated', roundId, seq: 3, points: bytes(32 * 17, 0x77), proof: bytes(64, 0x78) },
  evaluatedFull: { kind: 'evaluated', roundId, seq: 255, points: bytes(32 * MAX_CHUNK_POINTS, 0x79), proof: bytes(64, 0x7a) },
  evaluatedWithoutProof: { kind: 'evaluated', roundId, seq: 0, points: bytes(32, 0x7b), proof: new Uint8Array(0) },
  proof: { kind: 'proof', roundId, proof: bytes(64, 0x88) },
  emptyProof: { kind: 'proof', roundId, proof: new Uint8Array(0) },
  labels: {
    kind: 'labels',
    roundId,
    seq: 0,
    end: true,
    entries: [
      { key: bytes(32, 1), category: 'distillation', firstSeen: '2025-11-03', reason: 'scripted harvesting; 40k req/h' },
      { key: bytes(32, 2), reason: 'shared card with known ring ✓' },
      { key: bytes(32, 3), firstSeen: '2024-02-29' },
    ],
  },
  labelsFull: {
    kind: 'labels',
    roundId,
    seq: 127,
    end: false,
    entries: Array.from({ length: MAX_LABEL_ENTRIES }, (_, i) => ({
      key: bytes(32, i & 0xff),
      category: 'c'.repeat(64),
      firstSeen: '2025-01-31',
      reason: 'r'.repeat(256),
    })),
  },
  labelsEmpty: { kind: 'labels', roundId, seq: 0, end: true, entries: [] },
  finish: { kind: 'finish', roundId, intersectionSize: 1234, signature: bytes(64, 0x99) },
  finishEpoch: { kind: 'finish', roundId, intersectionSize: 16_777_216, signature: bytes(64, 0x9a) },
  abort: { kind: 'abort', roundId, reason: 'set-too-large', detail: 'peer set 70000 exceeds cap 65536' },
};

const packr = new Packr({ useRecords: false, variableMapSize: true });

/** msgpack without the canonical writer's rules: frames built field by field, for the codec to judge. */
export const pack = (value: unknown): Uint8Array => new Uint8Array(packr.pack(value));

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

/** Valid messages as the raw wire maps (SPEC §5 keys), to change one field at a time. */
export const validBlinded = { t: 2, rid: roundId, seq: 0, pts: bytes(64, 7) };
export const validEvaluated = { t: 3, rid: roundId, seq: 0, pts: bytes(64, 7), pi: bytes(64, 8) };
export const validOffer = {
  t: 1,
  v: 2,
  rid: roundId,
  rd: bytes(32, 2),
  from: 'lab-a',
  to: 'lab-b',
  mode: 'intersection',
  n: 3,
  cap: 10,
  lf: [],
  idr: 'venn-identifiers/1',
  K: bytes(32, 3),
  head: null,
};
