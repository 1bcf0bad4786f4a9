/**
 * audit.md §8.4: a bundle holds no identifier. Its bytes are searched for every input digest, every
 * raw value, every H(e) (which would allow guessing without the round keys) and every label text.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hashToGroup } from '@venn/crypto';
import { HASH_TO_GROUP_DST, type Role } from '@venn/protocol';
import type { LabelValues } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import { encodeTranscriptBundle, verifyTranscriptBundle } from '../src/index.js';
import { auditRoster, exportBundle, playRound } from './round-harness.js';

const encoder = new TextEncoder();
const raw: Record<Role, string[]> = {
  initiator: ['alice@example.com', 'bob@example.com', 'carol@example.com', '+1 202 555 0143', '4111111111111111', 'dev-7f3a9c'],
  responder: ['carol@example.com', 'dave@example.org', '+1 202 555 0143', 'erin@example.net', '4111111111111111', '203.0.113.7', 'dev-0000ff'],
};
const digestOf = (value: string): Uint8Array => sha256(encoder.encode(`email:${value}`));
const labels: Record<Role, Array<LabelValues | undefined>> = {
  initiator: raw.initiator.map((value) => ({ category: 'distillation-ring', firstSeen: '2025-09-14', reason: `flagged ${value.length} scripted sessions` })),
  responder: raw.responder.map(() => ({ category: 'card-testing-cluster', reason: 'shared payment instrument across accounts' })),
};

/** Every needle that must not occur, with what it is. */
function needles(): Array<[string, Uint8Array]> {
  const out: Array<[string, Uint8Array]> = [];
  for (const role of ['initiator', 'responder'] as const) {
    for (const value of raw[role]) {
      const digest = digestOf(value);
      out.push([`raw value ${value}`, encoder.encode(value)]);
      out.push([`digest of ${value}`, digest]);
      // Halves too: a digest split across a structure boundary would still leak.
      out.push([`first half of the digest of ${value}`, digest.subarray(0, 16)]);
      out.push([`second half of the digest of ${value}`, digest.subarray(16)]);
      out.push([`H(e) of ${value}`, hashToGroup(digest, HASH_TO_GROUP_DST)]);
    }
    for (const label of labels[role]) {
      for (const text of Object.values(label ?? {})) out.push([`label text ${text}`, encoder.encode(text)]);
    }
  }
  return out;
}

const contains = (haystack: Uint8Array, needle: Uint8Array): boolean => Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;

describe('no identifiers in bundles', () => {
  const policy = { labelFields: ['category', 'first_seen', 'reason'] as const };
  const played = playRound({
    elements: { initiator: raw.initiator.map(digestOf), responder: raw.responder.map(digestOf) },
    policy: { initiator: { labelFields: [...policy.labelFields] }, responder: { labelFields: [...policy.labelFields] } },
    labels,
  });

  it('the round shared labels for matched items, so the search below has label frames to miss', () => {
    const sentLabels = (role: Role): Uint8Array => Buffer.concat(played.records[role].filter((m) => m.direction === 'sent').map((m) => m.bytes));
    // The raw frames do carry label text (the needle search works); the bundle must not.
    expect(contains(sentLabels('initiator'), encoder.encode('distillation-ring'))).toBe(true);
    expect(contains(sentLabels('responder'), encoder.encode('shared payment instrument across accounts'))).toBe(true);
  });

  for (const exporter of ['initiator', 'responder'] as const) {
    it(`the ${exporter}'s bundle verifies and contains none of ${needles().length} identifier, digest, H(e) and label needles`, () => {
      const bundle = encodeTranscriptBundle(exportBundle(played, exporter));
      expect(verifyTranscriptBundle(bundle, auditRoster()).valid).toBe(true);
      const found = needles().filter(([, needle]) => contains(bundle, needle)).map(([what]) => what);
      expect(found).toEqual([]);
    });
  }
});
