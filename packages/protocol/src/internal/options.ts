/** Validation of RoundOptions: every field checked once, with errors naming the field. */
import { ValidationError, describe } from '@venn/errors';
import {
  FIRST_SEEN_BYTES,
  LABEL_FIELDS,
  MAX_CATEGORY_BYTES,
  MAX_IDENTIFIER_RULES_BYTES,
  MAX_MEMBER_ID_BYTES,
  MAX_REASON_BYTES,
  MAX_SET_SIZE,
  MODES,
  ROSTER_DIGEST_BYTES,
  ROUND_ID_BYTES,
  SIGNATURE_BYTES,
  type LabelField,
  type LabelValues,
  type LogHead,
  type Mode,
} from '@venn/wire';
import type { RoundOptions } from './types.js';

const utf8 = new TextEncoder();
const FULL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function fixedBytes(value: unknown, length: number, field: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    const got = value instanceof Uint8Array ? `length=${value.length}` : describe(value);
    throw new ValidationError('invalid-option', `"${field}" expected Uint8Array of length ${length}, got ${got}`);
  }
}

function boundedString(value: unknown, min: number, max: number, field: string): void {
  const length = typeof value === 'string' ? utf8.encode(value).length : -1;
  if (length < min || length > max) {
    throw new ValidationError(
      'invalid-option',
      `"${field}" expected a string of ${min}..${max} UTF-8 bytes, got ${describe(value)}`,
    );
  }
}

function integerIn(value: unknown, min: number, max: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError('invalid-option', `"${field}" expected an integer in ${min}..${max}, got ${describe(value)}`);
  }
}

function boolean(value: unknown, field: string): void {
  if (typeof value !== 'boolean') {
    throw new ValidationError('invalid-option', `"${field}" expected a boolean, got ${describe(value)}`);
  }
}

/** SPEC §5.3 `idr`: 1..128 bytes of printable ASCII. */
function identifierRules(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_IDENTIFIER_RULES_BYTES || !PRINTABLE_ASCII.test(value)) {
    throw new ValidationError(
      'invalid-option',
      `"${field}" expected 1..${MAX_IDENTIFIER_RULES_BYTES} characters of printable ASCII (0x20..0x7e), got ${describe(value)}`,
    );
  }
}

function fn(value: unknown, field: string): void {
  if (typeof value !== 'function') {
    throw new ValidationError('invalid-option', `"${field}" expected a function, got ${describe(value)}`);
  }
}

export function validateLabel(label: LabelValues, field: string): void {
  if (typeof label !== 'object' || label === null) {
    throw new ValidationError('invalid-option', `"${field}" expected an object, got ${describe(label)}`);
  }
  for (const key of Object.keys(label)) {
    if (key !== 'category' && key !== 'firstSeen' && key !== 'reason') {
      throw new ValidationError('invalid-option', `"${field}" has unexpected field ${JSON.stringify(key)}`);
    }
  }
  if (label.category !== undefined) boundedString(label.category, 1, MAX_CATEGORY_BYTES, `${field}.category`);
  if (label.reason !== undefined) boundedString(label.reason, 1, MAX_REASON_BYTES, `${field}.reason`);
  if (label.firstSeen !== undefined && (typeof label.firstSeen !== 'string' || !FULL_DATE.test(label.firstSeen))) {
    throw new ValidationError(
      'invalid-option',
      `"${field}.firstSeen" expected an RFC 3339 full-date of ${FIRST_SEEN_BYTES} bytes (YYYY-MM-DD), got ${describe(label.firstSeen)}`,
    );
  }
}

function validateLogHead(head: LogHead, field: string): void {
  if (typeof head !== 'object' || head === null) {
    throw new ValidationError('invalid-option', `"${field}" expected an object or null, got ${describe(head)}`);
  }
  integerIn(head.size, 0, Number.MAX_SAFE_INTEGER, `${field}.size`);
  fixedBytes(head.root, 32, `${field}.root`);
  integerIn(head.timestamp, 0, Number.MAX_SAFE_INTEGER, `${field}.timestamp`);
  fixedBytes(head.signature, SIGNATURE_BYTES, `${field}.signature`);
}

/** Returns the policy's label fields in canonical order, without repeats. */
export function canonicalLabelFields(fields: readonly LabelField[]): LabelField[] {
  return LABEL_FIELDS.filter((field) => fields.includes(field));
}

/** SPEC §4.3, §10.4: the modes this party runs for the peer: those its policy lists, `cardinality` only when accepted as semi-honest. */
export function runnableModes(policy: RoundOptions['policy']): Mode[] {
  return policy.modes.filter((mode) => mode !== 'cardinality' || policy.semiHonestCardinality);
}

export function validateOptions(options: RoundOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('invalid-option', `"options" expected an object, got ${describe(options)}`);
  }
  if (options.role !== 'initiator' && options.role !== 'responder') {
    throw new ValidationError('invalid-option', `"role" expected "initiator" or "responder", got ${describe(options.role)}`);
  }
  fixedBytes(options.roundId, ROUND_ID_BYTES, 'roundId');
  fixedBytes(options.rosterDigest, ROSTER_DIGEST_BYTES, 'rosterDigest');
  boundedString(options.selfId, 1, MAX_MEMBER_ID_BYTES, 'selfId');
  boundedString(options.peerId, 1, MAX_MEMBER_ID_BYTES, 'peerId');
  if (options.selfId === options.peerId) {
    throw new ValidationError('invalid-option', `"peerId" must differ from "selfId", both are ${describe(options.selfId)}`);
  }
  const policy = options.policy;
  if (typeof policy !== 'object' || policy === null) {
    throw new ValidationError('invalid-option', `"policy" expected an object, got ${describe(policy)}`);
  }
  integerIn(policy.maxPeerSetSize, 0, MAX_SET_SIZE, 'policy.maxPeerSetSize');
  integerIn(policy.evaluationAllowance, 0, policy.maxPeerSetSize, 'policy.evaluationAllowance');
  if (!Array.isArray(policy.modes) || policy.modes.some((mode) => !MODES.includes(mode))) {
    throw new ValidationError('invalid-option', `"policy.modes" expected an array of ${MODES.join(', ')}, got ${describe(policy.modes)}`);
  }
  if (!Array.isArray(policy.labelFields) || policy.labelFields.some((field) => !LABEL_FIELDS.includes(field))) {
    throw new ValidationError(
      'invalid-option',
      `"policy.labelFields" expected an array of ${LABEL_FIELDS.join(', ')}, got ${describe(policy.labelFields)}`,
    );
  }
  boolean(policy.semiHonestCardinality, 'policy.semiHonestCardinality');
  boolean(policy.allowIdentifierRulesMismatch, 'policy.allowIdentifierRulesMismatch');
  const mode = options.mode;
  if (mode === 'offered') {
    // SPEC §4.1: only the responder of an ad-hoc round takes its mode from the peer's OFFER.
    if (options.role !== 'responder') {
      throw new ValidationError('invalid-option', '"mode" "offered" is for a responder only: the initiator chooses the mode');
    }
  } else if (!MODES.includes(mode)) {
    throw new ValidationError('invalid-option', `"mode" expected one of ${MODES.join(', ')} or "offered", got ${describe(mode)}`);
  } else if (!policy.modes.includes(mode)) {
    throw new ValidationError('invalid-option', `"mode" ${mode} is not allowed by "policy.modes"`);
  } else if (mode === 'cardinality' && !policy.semiHonestCardinality) {
    // SPEC §4.3, §10.4: never by default; the operator must accept a semi-honest mode explicitly.
    throw new ValidationError('invalid-option', '"mode" cardinality needs "policy.semiHonestCardinality": it is secure only against an honest-but-curious peer (SPEC §10.4)');
  }
  identifierRules(options.identifierRules, 'identifierRules');
  const ownSet = options.ownSet;
  if (typeof ownSet !== 'object' || ownSet === null) {
    throw new ValidationError('invalid-option', `"ownSet" expected an object { size, load }, got ${describe(ownSet)}`);
  }
  integerIn(ownSet.size, 0, MAX_SET_SIZE, 'ownSet.size');
  fn(ownSet.load, 'ownSet.load');
  fn(options.rng, 'rng');
  fixedBytes(options.signingKey, 64, 'signingKey');
  fixedBytes(options.peerPublicKey, 32, 'peerPublicKey');
  if (options.logHead !== undefined && options.logHead !== null) validateLogHead(options.logHead, 'logHead');
  if (options.phaseTimer !== undefined) fn(options.phaseTimer, 'phaseTimer');
  if (options.onMessage !== undefined) fn(options.onMessage, 'onMessage');
}
