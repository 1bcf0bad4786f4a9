/**
 * The Venn v2 message codec (SPEC §5.1). Decoding an untrusted frame runs, in this order: size
 * check, structural scan, msgpackr, schema, canonical re-encoding. Point checks (canonical
 * encoding, non-identity) need the group and happen in @venn/protocol, last.
 */
import { CodecError, ValidationError, VennError, describe } from '@venn/errors';
import { Unpackr } from 'msgpackr';
import {
  FIRST_SEEN_BYTES,
  MAX_ABORT_CODE_BYTES,
  MAX_ABORT_DETAIL_BYTES,
  MAX_CATEGORY_BYTES,
  EPOCH_ID_BYTES,
  MAX_CHUNK_POINTS,
  MAX_EPOCH_INDEX,
  MAX_EPOCH_SET_SIZE,
  MAX_FRAME_BYTES,
  MAX_IDENTIFIER_RULES_BYTES,
  MAX_LABEL_ENTRIES,
  MAX_MEMBER_ID_BYTES,
  MAX_REASON_BYTES,
  MAX_SET_SIZE,
  POINT_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
  ROSTER_DIGEST_BYTES,
  ROUND_ID_BYTES,
  SIGNATURE_BYTES,
  TRANSCRIPT_HASH_BYTES,
} from './constants.js';
import {
  LABEL_FIELDS,
  MODES,
  MessageType,
  type AbortMessage,
  type EpochOffer,
  type FinishMessage,
  type LabelEntry,
  type LabelField,
  type LabelsMessage,
  type LogHead,
  type Message,
  type Mode,
  type OfferMessage,
  type ProofMessage,
  type RemovedMessage,
} from './messages.js';
import { scanFrame } from './scan.js';
import {
  expectKeys,
  isRawMap,
  readArray,
  readBool,
  readBytes,
  readMap,
  readPacked,
  readString,
  readUint,
  type RawMap,
} from './schema.js';
import { OrderedMap, writeCanonical, type WireValue } from './write.js';

/** The most chunks a BLINDED or EVALUATED stream can have (SPEC §5.4). */
export const MAX_POINT_CHUNKS = Math.ceil(MAX_SET_SIZE / MAX_CHUNK_POINTS);
/** The most chunks a LABELS stream can have (SPEC §5.7). */
export const MAX_LABEL_CHUNKS = Math.ceil(MAX_SET_SIZE / MAX_LABEL_ENTRIES);

const MAX_UINT = Number.MAX_SAFE_INTEGER;
const ABORT_CODE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

// Untrusted input: no records, no structured clone, no extra types, maps as plain objects. The
// scan has already rejected every extension type, so msgpackr's own extensions never run.
const unpackr = new Unpackr({
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  bundleStrings: false,
  int64AsType: 'number',
  copyBuffers: false,
});

/** Encodes a message canonically; throws ValidationError if the message breaks the schema. */
export function encodeMessage(message: Message): Uint8Array {
  try {
    const frame = writeCanonical(toWire(message));
    // One schema for both directions: what we send must be what a peer accepts.
    decodeMessage(frame);
    return frame;
  } catch (error) {
    if (error instanceof VennError) {
      throw new ValidationError(error.code, `cannot encode ${message.kind}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Decodes one untrusted frame; every failure is a CodecError with a stable code. */
export function decodeMessage(frame: Uint8Array): Message {
  if (!(frame instanceof Uint8Array)) {
    throw new CodecError('not-bytes', `"frame" expected Uint8Array, got ${describe(frame)}`);
  }
  // SPEC §5.1: size first, before any parsing.
  if (frame.length === 0) throw new CodecError('empty-frame', '"frame" is empty');
  if (frame.length > MAX_FRAME_BYTES) {
    throw new CodecError('frame-too-large', `"frame" expected at most ${MAX_FRAME_BYTES} bytes, got length=${frame.length}`);
  }
  scanFrame(frame);
  let raw: unknown;
  try {
    raw = unpackr.unpack(frame);
  } catch (cause) {
    throw new CodecError('malformed', 'frame is not valid msgpack', { cause });
  }
  const message = fromWire(raw);
  // SPEC §5.1: exactly one encoding per message is valid.
  if (!equalBytes(writeCanonical(toWire(message)), frame)) {
    throw new CodecError('non-canonical-encoding', `${message.kind} frame is not in canonical msgpack form`);
  }
  return message;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function map(entries: ReadonlyArray<readonly [string, WireValue]>): OrderedMap {
  return new OrderedMap(entries);
}

function toWire(message: Message): OrderedMap {
  const t = MessageType[message.kind];
  switch (message.kind) {
    case 'offer':
      return map([
        ['t', t],
        ['v', message.version],
        ['rid', message.roundId],
        ['rd', message.rosterDigest],
        ['from', message.sender],
        ['to', message.receiver],
        ['mode', message.mode],
        ['n', message.setSize],
        ['cap', message.maxPeerSetSize],
        ['lf', [...message.labelFields]],
        ['idr', message.identifierRules],
        ['K', message.publicKey],
        [
          'head',
          message.logHead === null
            ? null
            : map([
                ['size', message.logHead.size],
                ['root', message.logHead.root],
                ['ts', message.logHead.timestamp],
                ['sig', message.logHead.signature],
              ]),
        ],
        // SPEC §13.3: an optional key, omitted outside epoch rounds, so plain OFFERs keep their bytes.
        ...(message.epoch === undefined ? [] : [['ep', epochToWire(message.epoch)] as const]),
      ]);
    case 'blinded':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['seq', message.seq],
        ['pts', message.points],
      ]);
    case 'evaluated':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['seq', message.seq],
        ['pts', message.points],
        ['pi', message.proof],
      ]);
    case 'proof':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['pi', message.proof],
      ]);
    case 'labels':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['seq', message.seq],
        ['end', message.end],
        ['ent', message.entries.map(labelEntryToWire)],
      ]);
    case 'finish':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['size', message.intersectionSize],
        ['sig', message.signature],
      ]);
    case 'abort':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['code', message.reason],
        ['msg', message.detail],
      ]);
    case 'removed':
      return map([
        ['t', t],
        ['rid', message.roundId],
        ['seq', message.seq],
        ['pts', message.points],
      ]);
  }
}

function epochToWire(epoch: EpochOffer): OrderedMap {
  return map([
    ['id', epoch.id],
    ['i', epoch.index],
    ['prev', epoch.previousHash],
    ['acc', epoch.accumulated],
    ['rem', epoch.removals],
    ['ecap', epoch.epochCap],
  ]);
}

function labelEntryToWire(entry: LabelEntry): OrderedMap {
  const entries: Array<readonly [string, WireValue]> = [['k', entry.key]];
  if (entry.category !== undefined) entries.push(['cat', entry.category]);
  if (entry.firstSeen !== undefined) entries.push(['seen', entry.firstSeen]);
  if (entry.reason !== undefined) entries.push(['rsn', entry.reason]);
  return map(entries);
}

function fromWire(raw: unknown): Message {
  if (!isRawMap(raw)) throw new CodecError('not-a-map', `message expected a msgpack map, got ${describe(raw)}`);
  if (!Object.hasOwn(raw, 't')) throw new CodecError('missing-field', '"message.t" is missing');
  const t = readUint(raw, 'message', 't', MAX_UINT);
  switch (t) {
    case MessageType.offer:
      return parseOffer(raw);
    case MessageType.blinded: {
      const where = 'blinded';
      expectKeys(raw, where, ['t', 'rid', 'seq', 'pts']);
      return {
        kind: where,
        roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
        seq: readUint(raw, where, 'seq', MAX_POINT_CHUNKS - 1),
        points: readPacked(raw, where, 'pts', POINT_BYTES, 1, MAX_CHUNK_POINTS),
      };
    }
    case MessageType.evaluated: {
      const where = 'evaluated';
      expectKeys(raw, where, ['t', 'rid', 'seq', 'pts', 'pi']);
      return {
        kind: where,
        roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
        seq: readUint(raw, where, 'seq', MAX_POINT_CHUNKS - 1),
        points: readPacked(raw, where, 'pts', POINT_BYTES, 1, MAX_CHUNK_POINTS),
        // SPEC §5.5: 0 or 64 bytes; which one the mode needs is the round's check (bad-proof).
        proof: readProof(raw, where),
      };
    }
    case MessageType.proof:
      return parseProof(raw);
    case MessageType.labels:
      return parseLabels(raw);
    case MessageType.finish:
      return parseFinish(raw);
    case MessageType.abort:
      return parseAbort(raw);
    case MessageType.removed:
      return parseRemoved(raw);
    default:
      throw new CodecError('unknown-type', `"message.t" expected a message type in 1..8, got ${t}`);
  }
}

function parseOffer(raw: RawMap): OfferMessage {
  const where = 'offer';
  // SPEC §5.3: the version is checked before anything else, so a future OFFER with other fields
  // is reported as a version mismatch rather than a malformed message.
  if (!Object.hasOwn(raw, 'v')) throw new CodecError('missing-field', '"offer.v" is missing');
  const version = readUint(raw, where, 'v', MAX_UINT);
  if (version !== PROTOCOL_VERSION) {
    throw new CodecError('unsupported-version', `"offer.v" expected ${PROTOCOL_VERSION}, got ${version}`);
  }
  expectKeys(raw, where, ['t', 'v', 'rid', 'rd', 'from', 'to', 'mode', 'n', 'cap', 'lf', 'idr', 'K', 'head'], ['ep']);
  const mode = readString(raw, where, 'mode', 16);
  if (!MODES.includes(mode as Mode)) {
    throw new CodecError('unknown-value', `"offer.mode" expected one of ${MODES.join(', ')}, got ${describe(mode)}`);
  }
  return {
    kind: 'offer',
    version,
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    rosterDigest: readBytes(raw, where, 'rd', ROSTER_DIGEST_BYTES),
    sender: readString(raw, where, 'from', MAX_MEMBER_ID_BYTES, 1),
    receiver: readString(raw, where, 'to', MAX_MEMBER_ID_BYTES, 1),
    mode: mode as Mode,
    setSize: readUint(raw, where, 'n', MAX_SET_SIZE),
    maxPeerSetSize: readUint(raw, where, 'cap', MAX_SET_SIZE),
    labelFields: parseLabelFields(raw),
    identifierRules: readIdentifierRules(raw),
    publicKey: readBytes(raw, where, 'K', POINT_BYTES),
    logHead: parseLogHead(raw),
    ...(Object.hasOwn(raw, 'ep') ? { epoch: parseEpoch(raw) } : {}),
  };
}

/** SPEC §13.3: the `ep` map of an epoch round's OFFER. */
function parseEpoch(raw: RawMap): EpochOffer {
  const ep = readMap(raw, 'offer', 'ep');
  const where = 'offer.ep';
  expectKeys(ep, where, ['id', 'i', 'prev', 'acc', 'rem', 'ecap']);
  return {
    id: readBytes(ep, where, 'id', EPOCH_ID_BYTES),
    index: readUint(ep, where, 'i', MAX_EPOCH_INDEX),
    previousHash: readBytes(ep, where, 'prev', TRANSCRIPT_HASH_BYTES),
    accumulated: readUint(ep, where, 'acc', MAX_EPOCH_SET_SIZE),
    removals: readUint(ep, where, 'rem', MAX_SET_SIZE),
    epochCap: readUint(ep, where, 'ecap', MAX_EPOCH_SET_SIZE),
  };
}

/** SPEC §13.4: REMOVED is chunked like BLINDED. */
function parseRemoved(raw: RawMap): RemovedMessage {
  const where = 'removed';
  expectKeys(raw, where, ['t', 'rid', 'seq', 'pts']);
  return {
    kind: where,
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    seq: readUint(raw, where, 'seq', MAX_POINT_CHUNKS - 1),
    points: readPacked(raw, where, 'pts', POINT_BYTES, 1, MAX_CHUNK_POINTS),
  };
}

function parseLabelFields(raw: RawMap): LabelField[] {
  const items = readArray(raw, 'offer', 'lf', LABEL_FIELDS.length);
  const fields: LabelField[] = [];
  let previous = -1;
  for (const [i, item] of items.entries()) {
    const index = typeof item === 'string' ? LABEL_FIELDS.indexOf(item as LabelField) : -1;
    if (index < 0) {
      throw new CodecError(
        typeof item === 'string' ? 'unknown-value' : 'wrong-type',
        `"offer.lf[${i}]" expected one of ${LABEL_FIELDS.join(', ')}, got ${describe(item)}`,
      );
    }
    // SPEC §5.3: listed once each, in registry order.
    if (index <= previous) {
      throw new CodecError('non-canonical-encoding', `"offer.lf" must list label fields once each in the order ${LABEL_FIELDS.join(', ')}`);
    }
    previous = index;
    fields.push(LABEL_FIELDS[index]!);
  }
  return fields;
}

/** SPEC §5.3: `idr` is 1..128 bytes of printable ASCII, so it compares byte for byte and prints safely. */
function readIdentifierRules(raw: RawMap): string {
  const text = readString(raw, 'offer', 'idr', MAX_IDENTIFIER_RULES_BYTES, 1);
  if (!PRINTABLE_ASCII.test(text)) {
    throw new CodecError('unknown-value', `"offer.idr" expected printable ASCII (0x20..0x7e), got ${describe(text)}`);
  }
  return text;
}

/** SPEC §5.5, §5.6: `pi` is one 64-byte proof c || s or empty; the round decides which is due. */
function readProof(raw: RawMap, where: string): Uint8Array {
  const value = raw['pi'];
  if (!(value instanceof Uint8Array)) {
    throw new CodecError('wrong-type', `"${where}.pi" expected bin, got ${describe(value)}`);
  }
  if (value.length !== 0 && value.length !== PROOF_BYTES) {
    throw new CodecError('wrong-length', `"${where}.pi" expected bin of length 0 or ${PROOF_BYTES}, got length=${value.length}`);
  }
  return new Uint8Array(value);
}

function parseLogHead(raw: RawMap): LogHead | null {
  if (raw['head'] === null) return null;
  const head = readMap(raw, 'offer', 'head');
  const where = 'offer.head';
  expectKeys(head, where, ['size', 'root', 'ts', 'sig']);
  return {
    size: readUint(head, where, 'size', MAX_UINT),
    root: readBytes(head, where, 'root', 32),
    timestamp: readUint(head, where, 'ts', MAX_UINT),
    signature: readBytes(head, where, 'sig', SIGNATURE_BYTES),
  };
}

function parseProof(raw: RawMap): ProofMessage {
  const where = 'proof';
  expectKeys(raw, where, ['t', 'rid', 'pi']);
  return {
    kind: 'proof',
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    // SPEC §5.6: 0 or 64 bytes; the exact length depends on the round (§4.5).
    proof: readProof(raw, where),
  };
}

function parseLabels(raw: RawMap): LabelsMessage {
  const where = 'labels';
  expectKeys(raw, where, ['t', 'rid', 'seq', 'end', 'ent']);
  const end = readBool(raw, where, 'end');
  const items = readArray(raw, where, 'ent', MAX_LABEL_ENTRIES);
  // SPEC §5.7: every chunk but the last is full, so the chunk count is bounded by the entry count.
  if (!end && items.length !== MAX_LABEL_ENTRIES) {
    throw new CodecError(
      'wrong-length',
      `"labels.ent" expected ${MAX_LABEL_ENTRIES} entries in a chunk that is not the last, got ${items.length}`,
    );
  }
  return {
    kind: 'labels',
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    seq: readUint(raw, where, 'seq', MAX_LABEL_CHUNKS - 1),
    end,
    entries: items.map((item, i) => parseLabelEntry(item, `labels.ent[${i}]`)),
  };
}

function parseLabelEntry(item: unknown, where: string): LabelEntry {
  if (!isRawMap(item)) throw new CodecError('wrong-type', `"${where}" expected a map, got ${describe(item)}`);
  expectKeys(item, where, ['k'], ['cat', 'seen', 'rsn']);
  const key = readBytes(item, where, 'k', POINT_BYTES);
  if (!Object.hasOwn(item, 'cat') && !Object.hasOwn(item, 'seen') && !Object.hasOwn(item, 'rsn')) {
    throw new CodecError('missing-field', `"${where}" carries no label field`);
  }
  const entry: { key: Uint8Array; category?: string; firstSeen?: string; reason?: string } = { key };
  if (Object.hasOwn(item, 'cat')) entry.category = readString(item, where, 'cat', MAX_CATEGORY_BYTES, 1);
  if (Object.hasOwn(item, 'seen')) entry.firstSeen = readFirstSeen(item, where);
  if (Object.hasOwn(item, 'rsn')) entry.reason = readString(item, where, 'rsn', MAX_REASON_BYTES, 1);
  return entry;
}

function readFirstSeen(item: RawMap, where: string): string {
  const text = readString(item, where, 'seen', FIRST_SEEN_BYTES, FIRST_SEEN_BYTES);
  const parts = FULL_DATE.exec(text);
  const month = parts ? Number(parts[2]) : 0;
  const day = parts ? Number(parts[3]) : 0;
  // RFC 3339 §5.6 full-date; day-of-month is bounded by 31, not checked against the month.
  if (!parts || month < 1 || month > 12 || day < 1 || day > 31) {
    throw new CodecError('unknown-value', `"${where}.seen" expected an RFC 3339 full-date YYYY-MM-DD, got ${describe(text)}`);
  }
  return text;
}

function parseFinish(raw: RawMap): FinishMessage {
  const where = 'finish';
  expectKeys(raw, where, ['t', 'rid', 'size', 'sig']);
  return {
    kind: 'finish',
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    // SPEC §5.8: an epoch round claims the epoch's intersection, up to MAX_EPOCH_SET_SIZE (§13).
    intersectionSize: readUint(raw, where, 'size', MAX_EPOCH_SET_SIZE),
    signature: readBytes(raw, where, 'sig', SIGNATURE_BYTES),
  };
}

function parseAbort(raw: RawMap): AbortMessage {
  const where = 'abort';
  expectKeys(raw, where, ['t', 'rid', 'code', 'msg']);
  const reason = readString(raw, where, 'code', MAX_ABORT_CODE_BYTES, 1);
  if (!ABORT_CODE.test(reason)) {
    throw new CodecError('unknown-value', `"abort.code" expected a kebab-case code, got ${describe(reason)}`);
  }
  return {
    kind: 'abort',
    roundId: readBytes(raw, where, 'rid', ROUND_ID_BYTES),
    reason,
    detail: readString(raw, where, 'msg', MAX_ABORT_DETAIL_BYTES),
  };
}
