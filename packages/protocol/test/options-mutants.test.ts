/**
 * Validation of RoundOptions and labels (src/internal/options.ts), case by case: each bad field is
 * refused with a ValidationError of code invalid-option and a message naming the field, what was
 * expected and what came; each bound is accepted at its end and refused one past it; the modes a
 * policy runs for a peer (cardinality only when accepted as semi-honest, SPEC §4.3, §10.4).
 */
import { ValidationError } from '@venn/errors';
import { MAX_SET_SIZE, type LabelValues } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import type { RoundOptions } from '../src/index.js';
import { canonicalLabelFields, runnableModes, validateLabel, validateOptions } from '../src/internal/options.js';
import { digest, options, policy, thrown } from './harness.js';

const base = options('initiator', [digest('x')]);
const open = policy();

function refused(override: Record<string, unknown>): string {
  const error = thrown(() => validateOptions({ ...base, ...override } as RoundOptions));
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('invalid-option');
  return error.message;
}

describe('validateOptions: each field refused with its own message', () => {
  it('accepts the harness options, for both roles and both modes', () => {
    expect(() => validateOptions(base)).not.toThrow();
    expect(() => validateOptions({ ...options('responder', []), mode: 'offered' })).not.toThrow();
    expect(() => validateOptions({ ...base, mode: 'cardinality' })).not.toThrow();
  });

  it('refuses options that are not an object', () => {
    for (const junk of [null, 'options']) {
      const error = thrown(() => validateOptions(junk as unknown as RoundOptions));
      expect(error.code).toBe('invalid-option');
      expect(error.message).toMatch(/^"options" expected an object, got /);
    }
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['role', { role: 'observer' }, '"role" expected "initiator" or "responder", got "observer"'],
    ['roundId', { roundId: new Uint8Array(31) }, '"roundId" expected Uint8Array of length 32, got length=31'],
    ['roundId as a string', { roundId: 'r' }, '"roundId" expected Uint8Array of length 32, got "r"'],
    ['rosterDigest', { rosterDigest: new Uint8Array(33) }, '"rosterDigest" expected Uint8Array of length 32, got length=33'],
    ['selfId empty', { selfId: '' }, '"selfId" expected a string of 1..128 UTF-8 bytes, got ""'],
    ['selfId not a string', { selfId: 7 }, '"selfId" expected a string of 1..128 UTF-8 bytes, got number 7'],
    ['peerId too long', { peerId: 'é'.repeat(65) }, `"peerId" expected a string of 1..128 UTF-8 bytes, got string of length 65`],
    ['peerId equal to selfId', { peerId: 'lab-a' }, '"peerId" must differ from "selfId", both are "lab-a"'],
    ['policy', { policy: null }, '"policy" expected an object, got null'],
    ['policy.maxPeerSetSize', { policy: { ...open, maxPeerSetSize: MAX_SET_SIZE + 1 } }, `"policy.maxPeerSetSize" expected an integer in 0..${MAX_SET_SIZE}, got number ${MAX_SET_SIZE + 1}`],
    ['policy.evaluationAllowance', { policy: { ...open, maxPeerSetSize: 10, evaluationAllowance: 11 } }, '"policy.evaluationAllowance" expected an integer in 0..10, got number 11'],
    ['policy.modes not an array', { policy: { ...open, modes: 'intersection' } }, '"policy.modes" expected an array of intersection, cardinality, got "intersection"'],
    ['policy.modes with an unknown mode', { policy: { ...open, modes: ['intersection', 'union'] } }, '"policy.modes" expected an array of intersection, cardinality, got array of length 2'],
    ['policy.labelFields not an array', { policy: { ...open, labelFields: null } }, '"policy.labelFields" expected an array of category, first_seen, reason, got null'],
    ['policy.labelFields with an unknown field', { policy: { ...open, labelFields: ['reason', 'email'] } }, '"policy.labelFields" expected an array of category, first_seen, reason, got array of length 2'],
    ['policy.semiHonestCardinality', { policy: { ...open, semiHonestCardinality: 1 } }, '"policy.semiHonestCardinality" expected a boolean, got number 1'],
    ['policy.allowIdentifierRulesMismatch', { policy: { ...open, allowIdentifierRulesMismatch: 'yes' } }, '"policy.allowIdentifierRulesMismatch" expected a boolean, got "yes"'],
    ['mode offered for the initiator', { mode: 'offered' }, '"mode" "offered" is for a responder only: the initiator chooses the mode'],
    ['an unknown mode', { mode: 'union' }, '"mode" expected one of intersection, cardinality or "offered", got "union"'],
    ['a mode the policy does not list', { policy: { ...open, modes: ['cardinality'] } }, '"mode" intersection is not allowed by "policy.modes"'],
    ['cardinality not accepted as semi-honest', { mode: 'cardinality', policy: { ...open, semiHonestCardinality: false } },
      '"mode" cardinality needs "policy.semiHonestCardinality": it is secure only against an honest-but-curious peer (SPEC §10.4)'],
    ['identifierRules empty', { identifierRules: '' }, '"identifierRules" expected 1..128 characters of printable ASCII (0x20..0x7e), got ""'],
    ['identifierRules too long', { identifierRules: 'r'.repeat(129) }, '"identifierRules" expected 1..128 characters of printable ASCII (0x20..0x7e), got string of length 129'],
    ['identifierRules with a control character', { identifierRules: 'a\tb' }, '"identifierRules" expected 1..128 characters of printable ASCII (0x20..0x7e), got "a\\tb"'],
    ['identifierRules with DEL', { identifierRules: 'a\x7f' }, '"identifierRules" expected 1..128 characters of printable ASCII (0x20..0x7e), got "a\x7f"'],
    ['identifierRules not a string', { identifierRules: 5 }, '"identifierRules" expected 1..128 characters of printable ASCII (0x20..0x7e), got number 5'],
    ['ownSet', { ownSet: null }, '"ownSet" expected an object { size, load }, got null'],
    ['ownSet.size', { ownSet: { size: -1, load: () => undefined } }, `"ownSet.size" expected an integer in 0..${MAX_SET_SIZE}, got number -1`],
    ['ownSet.load', { ownSet: { size: 1, load: 'x' } }, '"ownSet.load" expected a function, got "x"'],
    ['rng', { rng: 1 }, '"rng" expected a function, got number 1'],
    ['signingKey', { signingKey: new Uint8Array(32) }, '"signingKey" expected Uint8Array of length 64, got length=32'],
    ['peerPublicKey', { peerPublicKey: new Uint8Array(64) }, '"peerPublicKey" expected Uint8Array of length 32, got length=64'],
    ['logHead not an object', { logHead: 'head' }, '"logHead" expected an object or null, got "head"'],
    ['logHead.size', { logHead: { size: -1, root: new Uint8Array(32), timestamp: 1, signature: new Uint8Array(64) } }, `"logHead.size" expected an integer in 0..${Number.MAX_SAFE_INTEGER}, got number -1`],
    ['logHead.root', { logHead: { size: 1, root: new Uint8Array(31), timestamp: 1, signature: new Uint8Array(64) } }, '"logHead.root" expected Uint8Array of length 32, got length=31'],
    ['logHead.timestamp', { logHead: { size: 1, root: new Uint8Array(32), timestamp: 1.5, signature: new Uint8Array(64) } }, `"logHead.timestamp" expected an integer in 0..${Number.MAX_SAFE_INTEGER}, got number 1.5`],
    ['logHead.signature', { logHead: { size: 1, root: new Uint8Array(32), timestamp: 1, signature: new Uint8Array(63) } }, '"logHead.signature" expected Uint8Array of length 64, got length=63'],
    ['phaseTimer', { phaseTimer: 'yes' }, '"phaseTimer" expected a function, got "yes"'],
    ['onMessage', { onMessage: {} }, '"onMessage" expected a function, got object'],
  ])('%s', (_, override, message) => {
    expect(refused(override)).toBe(message);
  });

  it('accepts each bound at its end', () => {
    const ok = (override: Record<string, unknown>): void => expect(() => validateOptions({ ...base, ...override } as RoundOptions)).not.toThrow();
    ok({ selfId: 'é'.repeat(64), peerId: 'p' });
    ok({ identifierRules: 'r'.repeat(128) });
    ok({ identifierRules: ' ~' });
    ok({ identifierRules: 'r' });
    ok({ policy: { ...open, maxPeerSetSize: MAX_SET_SIZE, evaluationAllowance: MAX_SET_SIZE } });
    ok({ policy: { ...open, maxPeerSetSize: 0, evaluationAllowance: 0 } });
    ok({ policy: { ...open, maxPeerSetSize: 10, evaluationAllowance: 10 } });
    ok({ ownSet: { size: MAX_SET_SIZE, load: () => undefined } });
    ok({ logHead: null });
    ok({ logHead: { size: 0, root: new Uint8Array(32), timestamp: 0, signature: new Uint8Array(64) } });
    ok({ phaseTimer: () => undefined, onMessage: () => undefined });
    ok({ mode: 'cardinality', policy: { ...open, modes: ['cardinality'], semiHonestCardinality: true } });
  });

  it('a responder may take its mode from the OFFER whatever its policy lists', () => {
    expect(() => validateOptions({ ...options('responder', []), mode: 'offered', policy: { ...open, modes: [] } })).not.toThrow();
  });
});

describe('validateLabel', () => {
  const bad = (label: unknown): string => {
    const error = thrown(() => validateLabel(label as LabelValues, 'labels[3]'));
    expect(error.code).toBe('invalid-option');
    return error.message;
  };

  it('accepts each field at its bounds', () => {
    for (const label of [{}, { category: 'c' }, { category: 'c'.repeat(64) }, { reason: 'r'.repeat(256) }, { firstSeen: '2026-12-31' }, { firstSeen: '2024-02-29' }, { category: 'x', firstSeen: '2000-01-01', reason: 'y' }]) {
      expect(() => validateLabel(label, 'labels[3]')).not.toThrow();
    }
  });

  it.each<[unknown, string]>([
    [null, '"labels[3]" expected an object, got null'],
    ['label', '"labels[3]" expected an object, got "label"'],
    [{ email: 'x' }, '"labels[3]" has unexpected field "email"'],
    [{ first_seen: '2026-01-01' }, '"labels[3]" has unexpected field "first_seen"'],
    [{ category: '' }, '"labels[3].category" expected a string of 1..64 UTF-8 bytes, got ""'],
    [{ category: 'c'.repeat(65) }, '"labels[3].category" expected a string of 1..64 UTF-8 bytes, got string of length 65'],
    [{ reason: 'r'.repeat(257) }, '"labels[3].reason" expected a string of 1..256 UTF-8 bytes, got string of length 257'],
    [{ reason: 3 }, '"labels[3].reason" expected a string of 1..256 UTF-8 bytes, got number 3'],
    [{ firstSeen: '2026-13-01' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-13-01"'],
    [{ firstSeen: '2026-00-10' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-00-10"'],
    [{ firstSeen: '2026-01-32' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-01-32"'],
    [{ firstSeen: '2026-01-00' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-01-00"'],
    [{ firstSeen: '2026-1-01' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-1-01"'],
    [{ firstSeen: 'x2026-01-01' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "x2026-01-01"'],
    [{ firstSeen: '2026-01-01T' }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got "2026-01-01T"'],
    // Not a string, though it reads as a date once turned into one.
    [{ firstSeen: ['2026-01-01'] }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got array of length 1'],
    [{ firstSeen: 20260101 }, '"labels[3].firstSeen" expected an RFC 3339 full-date of 10 bytes (YYYY-MM-DD), got number 20260101'],
  ])('refuses %j', (label, message) => {
    expect(bad(label)).toBe(message);
  });

  it('accepts the day and month digits the full-date grammar allows', () => {
    for (const date of ['2026-10-10', '2026-12-20', '2026-09-30', '2026-11-31', '2026-01-19', '2026-01-29']) expect(() => validateLabel({ firstSeen: date }, 'l')).not.toThrow();
  });
});

describe('runnableModes and canonicalLabelFields', () => {
  it('runs cardinality only when accepted as semi-honest (SPEC §4.3, §10.4)', () => {
    expect(runnableModes(policy({ modes: ['intersection', 'cardinality'], semiHonestCardinality: false }))).toEqual(['intersection']);
    expect(runnableModes(policy({ modes: ['cardinality', 'intersection'], semiHonestCardinality: true }))).toEqual(['cardinality', 'intersection']);
    expect(runnableModes(policy({ modes: ['cardinality'], semiHonestCardinality: false }))).toEqual([]);
  });

  it('puts label fields in canonical order without repeats', () => {
    expect(canonicalLabelFields(['reason', 'category', 'reason'])).toEqual(['category', 'reason']);
    expect(canonicalLabelFields([])).toEqual([]);
    expect(canonicalLabelFields(['first_seen', 'reason', 'category'])).toEqual(['category', 'first_seen', 'reason']);
  });
});
