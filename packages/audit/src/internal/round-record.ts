/** The log leaf: one round record per round attempt, in the fixed binary layout of protocol-spec/audit.md §3. */
import { CodecError, ValidationError, describe, type VennError } from '@venn/errors';
import { ByteReader, ByteWriter, ID_PATTERN, MAX_ID_BYTES } from './codec.js';

export type RoundStatus = 'completed' | 'aborted' | 'disputed';

/** What a node commits to its log when a round attempt ends (audit.md §3). */
export interface RoundRecord {
  /** 32-byte round id (protocol-spec/node.md §3). */
  readonly roundId: Uint8Array;
  /** Attempt number within the round id; retries get fresh keys and a new leaf. */
  readonly attempt: number;
  /** 32-byte digest of the roster in force. */
  readonly rosterDigest: Uint8Array;
  /** Start of the scheduled slot, Unix seconds; null for an ad-hoc round. */
  readonly slot: number | null;
  readonly initiatorId: string;
  readonly responderId: string;
  readonly status: RoundStatus;
  /** Abort reason code (kebab-case); empty for a completed round. */
  readonly reason: string;
  /** The round's transcript hash; empty only for a round aborted before any transcript existed. */
  readonly transcriptHash: Uint8Array;
  /** Intersection size each FINISH claimed; null when that FINISH never came. */
  readonly initiatorClaim: number | null;
  readonly responderClaim: number | null;
  /** When the attempt ended, Unix milliseconds. */
  readonly timestamp: number;
  /** `n` of each party's OFFER as the logging node recorded it; null when it recorded none. */
  readonly initiatorSetSize: number | null;
  readonly responderSetSize: number | null;
  /** Points of the EVALUATED chunks each party sent, as recorded: evaluations it served the other. */
  readonly initiatorEvaluations: number;
  readonly responderEvaluations: number;
  /** Who ended an aborted attempt, as the logging node saw it; null for a completed or disputed round. */
  readonly endedBy: 'initiator' | 'responder' | null;
}

export const ROUND_RECORD_VERSION = 2;
/** SPEC §5.3: no OFFER can declare more. */
const MAX_SET_SIZE = 1_048_576;
const ID_BYTES = 32;
const MAX_TRANSCRIPT_HASH_BYTES = 64;
const MAX_ATTEMPT = 0xffff_ffff;

const STATUS_CODES: Readonly<Record<RoundStatus, number>> = { completed: 1, aborted: 2, disputed: 3 };
const STATUS_NAMES: readonly (RoundStatus | undefined)[] = [undefined, 'completed', 'aborted', 'disputed'];

const FLAG_SLOT = 0b00001;
const FLAG_INITIATOR_CLAIM = 0b00010;
const FLAG_RESPONDER_CLAIM = 0b00100;
const FLAG_INITIATOR_SET_SIZE = 0b01000;
const FLAG_RESPONDER_SET_SIZE = 0b10000;
const KNOWN_FLAGS = FLAG_SLOT | FLAG_INITIATOR_CLAIM | FLAG_RESPONDER_CLAIM | FLAG_INITIATOR_SET_SIZE | FLAG_RESPONDER_SET_SIZE;
const ENDED_BY_CODES = { initiator: 1, responder: 2 } as const;

/**
 * Fixed part: version, roundId, rosterDigest, attempt, flags, slot, status, two claims, timestamp,
 * two set sizes, two evaluation counts, endedBy.
 */
const FIXED_BYTES = 1 + ID_BYTES + ID_BYTES + 4 + 1 + 8 + 1 + 8 + 8 + 8 + 4 + 4 + 4 + 4 + 1;
/** Largest valid record; the decoder refuses anything longer before reading it. */
export const MAX_ROUND_RECORD_BYTES = FIXED_BYTES + (1 + MAX_TRANSCRIPT_HASH_BYTES) + 3 * (1 + MAX_ID_BYTES);

type Fail = (code: string, message: string) => VennError;
const invalid: Fail = (code, message) => new ValidationError(code, message);
const undecodable: Fail = (code, message) => new CodecError(code, message);

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The rules a record obeys, shared by encode (ValidationError) and decode (CodecError), so every
 * leaf in a log is self-consistent: a completed round has both FINISH claims and they agree, a
 * disputed one has both and they differ, an aborted one names its reason.
 */
function checkRecord(record: RoundRecord, fail: Fail): void {
  const r = record as unknown as Record<string, unknown>;
  if (!(r['roundId'] instanceof Uint8Array) || r['roundId'].length !== ID_BYTES) {
    throw fail('invalid-field', `"roundId" expected Uint8Array of length 32, got ${describe(r['roundId'])}`);
  }
  if (!(r['rosterDigest'] instanceof Uint8Array) || r['rosterDigest'].length !== ID_BYTES) {
    throw fail('invalid-field', `"rosterDigest" expected Uint8Array of length 32, got ${describe(r['rosterDigest'])}`);
  }
  if (!isCount(r['attempt']) || r['attempt'] > MAX_ATTEMPT) {
    throw fail('invalid-field', `"attempt" expected an integer in [0, 2^32 - 1], got ${describe(r['attempt'])}`);
  }
  if (r['slot'] !== null && !isCount(r['slot'])) {
    throw fail('invalid-field', `"slot" expected null or a non-negative safe integer, got ${describe(r['slot'])}`);
  }
  for (const field of ['initiatorId', 'responderId'] as const) {
    const id = r[field];
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw fail('invalid-field', `"${field}" expected a roster member id (1 to 63 characters a-z, 0-9, "-"), got ${describe(id)}`);
    }
  }
  if (record.initiatorId === record.responderId) {
    throw fail('invalid-field', `"responderId" expected a member other than the initiator, got ${JSON.stringify(record.responderId)}`);
  }
  if (typeof r['status'] !== 'string' || !Object.hasOwn(STATUS_CODES, r['status'])) {
    throw fail('invalid-field', `"status" expected one of completed, aborted, disputed, got ${describe(r['status'])}`);
  }
  const reason = r['reason'];
  if (typeof reason !== 'string' || (reason !== '' && !ID_PATTERN.test(reason))) {
    throw fail('invalid-field', `"reason" expected empty or a kebab-case reason code, got ${describe(reason)}`);
  }
  const transcriptHash = r['transcriptHash'];
  if (!(transcriptHash instanceof Uint8Array) || transcriptHash.length > MAX_TRANSCRIPT_HASH_BYTES) {
    throw fail('invalid-field', `"transcriptHash" expected Uint8Array of at most 64 bytes, got ${describe(transcriptHash)}`);
  }
  for (const field of ['initiatorClaim', 'responderClaim'] as const) {
    if (r[field] !== null && !isCount(r[field])) {
      throw fail('invalid-field', `"${field}" expected null or a non-negative safe integer, got ${describe(r[field])}`);
    }
  }
  if (!isCount(r['timestamp'])) {
    throw fail('invalid-field', `"timestamp" expected Unix milliseconds as a non-negative safe integer, got ${describe(r['timestamp'])}`);
  }
  for (const field of ['initiatorSetSize', 'responderSetSize'] as const) {
    if (r[field] !== null && (!isCount(r[field]) || (r[field] as number) > MAX_SET_SIZE)) {
      throw fail('invalid-field', `"${field}" expected null or an integer in [0, ${MAX_SET_SIZE}], got ${describe(r[field])}`);
    }
  }
  for (const field of ['initiatorEvaluations', 'responderEvaluations'] as const) {
    if (!isCount(r[field]) || (r[field] as number) > MAX_SET_SIZE) {
      throw fail('invalid-field', `"${field}" expected an integer in [0, ${MAX_SET_SIZE}], got ${describe(r[field])}`);
    }
  }
  if (r['endedBy'] !== null && r['endedBy'] !== 'initiator' && r['endedBy'] !== 'responder') {
    throw fail('invalid-field', `"endedBy" expected null, "initiator" or "responder", got ${describe(r['endedBy'])}`);
  }

  const { status, initiatorClaim, responderClaim } = record;
  const bothClaims = initiatorClaim !== null && responderClaim !== null;
  if (status === 'completed') {
    if (reason !== '') throw fail('inconsistent-record', `"reason" expected empty for a completed round, got ${JSON.stringify(reason)}`);
    if (!bothClaims || initiatorClaim !== responderClaim) {
      throw fail('inconsistent-record', `a completed round expected two equal claims, got ${initiatorClaim} and ${responderClaim}`);
    }
  } else if (status === 'disputed') {
    if (!bothClaims || initiatorClaim === responderClaim) {
      throw fail('inconsistent-record', `a disputed round expected two different claims, got ${initiatorClaim} and ${responderClaim}`);
    }
  } else if (reason === '') {
    throw fail('inconsistent-record', '"reason" expected an abort reason code for an aborted round, got ""');
  }
  const { initiatorSetSize, responderSetSize, initiatorEvaluations, responderEvaluations, endedBy } = record;
  if (status !== 'aborted') {
    if (transcriptHash.length !== 64) throw fail('inconsistent-record', `"transcriptHash" expected TH_final (64 bytes) for a ${status} round, got length=${transcriptHash.length}`);
    if (endedBy !== null) throw fail('inconsistent-record', `"endedBy" expected none for a ${status} round, got ${JSON.stringify(endedBy)}`);
    // A round that exchanged both FINISH messages evaluated both whole lists.
    if (initiatorSetSize === null || responderSetSize === null || initiatorEvaluations !== responderSetSize || responderEvaluations !== initiatorSetSize) {
      throw fail('inconsistent-record', `a ${status} round expected both set sizes with each party's evaluations equal to the other's set size, got sizes ${initiatorSetSize} and ${responderSetSize}, evaluations ${initiatorEvaluations} and ${responderEvaluations}`);
    }
  } else {
    if (transcriptHash.length !== 0 && transcriptHash.length !== 64) {
      throw fail('inconsistent-record', `"transcriptHash" expected the 64-byte attempt hash or nothing for an aborted round, got length=${transcriptHash.length}`);
    }
    if (endedBy === null) throw fail('inconsistent-record', '"endedBy" expected the party that ended an aborted round, got none');
    // Each party evaluates only the other's declared set.
    if (initiatorEvaluations > (responderSetSize ?? 0) || responderEvaluations > (initiatorSetSize ?? 0)) {
      throw fail('inconsistent-record', `an aborted round expected each party's evaluations within the other's set size, got sizes ${initiatorSetSize} and ${responderSetSize}, evaluations ${initiatorEvaluations} and ${responderEvaluations}`);
    }
  }
}

/** The canonical leaf bytes of a round record (audit.md §3). Throws ValidationError for an invalid record. */
export function encodeRoundRecord(record: RoundRecord): Uint8Array {
  if (typeof record !== 'object' || record === null) {
    throw new ValidationError('invalid-type', `"record" expected an object, got ${describe(record)}`);
  }
  checkRecord(record, invalid);
  const w = new ByteWriter(MAX_ROUND_RECORD_BYTES);
  w.u8(ROUND_RECORD_VERSION);
  w.bytes(record.roundId);
  w.bytes(record.rosterDigest);
  w.u32(record.attempt);
  w.u8(
    (record.slot !== null ? FLAG_SLOT : 0) |
      (record.initiatorClaim !== null ? FLAG_INITIATOR_CLAIM : 0) |
      (record.responderClaim !== null ? FLAG_RESPONDER_CLAIM : 0) |
      (record.initiatorSetSize !== null ? FLAG_INITIATOR_SET_SIZE : 0) |
      (record.responderSetSize !== null ? FLAG_RESPONDER_SET_SIZE : 0),
  );
  w.u64(record.slot ?? 0);
  w.u8(STATUS_CODES[record.status]);
  w.u64(record.initiatorClaim ?? 0);
  w.u64(record.responderClaim ?? 0);
  w.u64(record.timestamp);
  w.u32(record.initiatorSetSize ?? 0);
  w.u32(record.responderSetSize ?? 0);
  w.u32(record.initiatorEvaluations);
  w.u32(record.responderEvaluations);
  w.u8(record.endedBy === null ? 0 : ENDED_BY_CODES[record.endedBy]);
  w.shortBytes(record.transcriptHash);
  w.shortAscii(record.initiatorId);
  w.shortAscii(record.responderId);
  w.shortAscii(record.reason);
  return w.finish();
}

/** Reads leaf bytes back into a record; anything but a canonical encoding throws CodecError. */
export function decodeRoundRecord(bytes: Uint8Array): RoundRecord {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError('invalid-type', `round record expected Uint8Array, got ${describe(bytes)}`);
  }
  // Size first, before reading a single field (STYLE: validate every trust boundary).
  if (bytes.length > MAX_ROUND_RECORD_BYTES) {
    throw new CodecError('too-large', `round record expected at most ${MAX_ROUND_RECORD_BYTES} bytes, got length=${bytes.length}`);
  }
  const r = new ByteReader(bytes, 'round record');
  const version = r.u8('version');
  if (version !== ROUND_RECORD_VERSION) {
    throw new CodecError('unsupported-version', `round record "version" expected ${ROUND_RECORD_VERSION}, got ${version}`);
  }
  const roundId = r.bytes(ID_BYTES, 'roundId');
  const rosterDigest = r.bytes(ID_BYTES, 'rosterDigest');
  const attempt = r.u32('attempt');
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new CodecError('invalid-field', `round record "flags" expected only bits 0-4, got 0x${flags.toString(16)}`);
  }
  const optional = (flag: number, field: string): number | null => {
    const value = r.u64(field);
    if ((flags & flag) !== 0) return value;
    // An absent value is written as zero; anything else would be a second encoding of the same record.
    if (value !== 0) throw new CodecError('non-canonical-encoding', `round record "${field}" expected 0 when absent, got ${value}`);
    return null;
  };
  const slot = optional(FLAG_SLOT, 'slot');
  const statusCode = r.u8('status');
  const status = STATUS_NAMES[statusCode];
  if (status === undefined) {
    throw new CodecError('invalid-field', `round record "status" expected 1, 2 or 3, got ${statusCode}`);
  }
  const initiatorClaim = optional(FLAG_INITIATOR_CLAIM, 'initiatorClaim');
  const responderClaim = optional(FLAG_RESPONDER_CLAIM, 'responderClaim');
  const timestamp = r.u64('timestamp');
  const optional32 = (flag: number, field: string): number | null => {
    const value = r.u32(field);
    if ((flags & flag) !== 0) return value;
    if (value !== 0) throw new CodecError('non-canonical-encoding', `round record "${field}" expected 0 when absent, got ${value}`);
    return null;
  };
  const initiatorSetSize = optional32(FLAG_INITIATOR_SET_SIZE, 'initiatorSetSize');
  const responderSetSize = optional32(FLAG_RESPONDER_SET_SIZE, 'responderSetSize');
  const initiatorEvaluations = r.u32('initiatorEvaluations');
  const responderEvaluations = r.u32('responderEvaluations');
  const endedByCode = r.u8('endedBy');
  if (endedByCode > 2) throw new CodecError('invalid-field', `round record "endedBy" expected 0, 1 or 2, got ${endedByCode}`);
  const endedBy = endedByCode === 1 ? 'initiator' : endedByCode === 2 ? 'responder' : null;
  const transcriptHash = r.shortBytes('transcriptHash', MAX_TRANSCRIPT_HASH_BYTES);
  const initiatorId = r.shortAscii('initiatorId', ID_PATTERN, false);
  const responderId = r.shortAscii('responderId', ID_PATTERN, false);
  const reason = r.shortAscii('reason', ID_PATTERN, true);
  r.end();
  const record: RoundRecord = {
    roundId,
    attempt,
    rosterDigest,
    slot,
    initiatorId,
    responderId,
    status,
    reason,
    transcriptHash,
    initiatorClaim,
    responderClaim,
    timestamp,
    initiatorSetSize,
    responderSetSize,
    initiatorEvaluations,
    responderEvaluations,
    endedBy,
  };
  checkRecord(record, undecodable);
  return record;
}
