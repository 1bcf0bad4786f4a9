/**
 * protocol-spec/vectors/audit-bundle-v1.json: transcript bundles of the rounds of venn-round.json,
 * the verifier's verdict on each (audit.md §9.1) and invalid encodings with their codes (§8.2),
 * reproduced by the seeded generator and checked against the package.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { ready } from '@venn/crypto';
import { CodecError } from '@venn/errors';
import type { LabelField, Mode } from '@venn/wire';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_CHECKS, decodeTranscriptBundle, encodeTranscriptBundle, verifyTranscriptBundle, type AuditRoster } from '../src/index.js';

interface Vectors {
  source: string;
  version: number;
  roster: {
    digest: string;
    members: Array<{ id: string; identity_key: string; policy: { max_peer_set_size: number; modes: Mode[]; share_labels: LabelField[] } }>;
    schedule: { cron: string; timezone: string };
  };
  verifier_cases: Array<{ name: string; encoding: string; valid: boolean; check?: string; party?: string }>;
  invalid_bundles: Array<{ name: string; encoding: string; valid: false; error: string }>;
  key_epoch: {
    roster: Vectors['roster'];
    bundles: string[];
    verifier_cases: Array<{ name: string; encoding: string; previous: number[]; valid: boolean; skipped?: string[]; check?: string; party?: string }>;
  };
}

const vectorPath = fileURLToPath(new URL('../../../protocol-spec/vectors/audit-bundle-v1.json', import.meta.url));
const text = readFileSync(vectorPath, 'utf8');
const vectors = JSON.parse(text) as Vectors;
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const encoder = new TextEncoder();

/**
 * node.md §3–§4 for the vectors' schedule, cron "0 * * * *" in UTC: every slot is a whole hour;
 * node.md §10.2 for the round ids of a key epoch.
 */
function roster(given: Vectors['roster'] = vectors.roster): AuditRoster {
  const digest = bytes(given.digest);
  const withLength = (id: string): Uint8Array => Uint8Array.of(id.length, ...encoder.encode(id));
  const u64 = (value: number): Uint8Array => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return out;
  };
  const ordered = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);
  expect(given.schedule).toEqual({ cron: '0 * * * *', timezone: 'UTC' });
  return {
    digest,
    members: given.members.map((m) => ({
      id: m.id,
      identityKey: bytes(m.identity_key),
      policy: { maxPeerSetSize: m.policy.max_peer_set_size, modes: m.policy.modes, shareLabels: m.policy.share_labels },
    })),
    schedule: {
      isSlot: (slot) => slot % 3600 === 0,
      scheduledRoundId: (slot, a, b) => {
        const [low, high] = ordered(a, b);
        return sha256(Buffer.concat([encoder.encode('venn/round-id/v1'), Uint8Array.of(0), digest, u64(slot), withLength(low), withLength(high)]));
      },
      scheduledInitiator: (roundId, a, b) => {
        const score = (id: string): Buffer => Buffer.from(sha256(Buffer.concat([encoder.encode('venn/initiator/v1'), Uint8Array.of(0), roundId, withLength(id)])));
        const [low, high] = ordered(a, b);
        return Buffer.compare(score(low), score(high)) <= 0 ? low : high;
      },
      epochRoundId: (epochId, index) => sha256(Buffer.concat([encoder.encode('venn/epoch-round-id/v1'), Uint8Array.of(0), epochId, u64(index).subarray(4)])),
    },
  };
}

beforeAll(async () => {
  await ready();
});

describe('audit-bundle-v1 vectors', () => {
  it('are what the checked-in seeded generator produces', () => {
    const script = fileURLToPath(new URL('../scripts/generate-vectors.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script, '--print', 'audit-bundle-v1.json'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(text);
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
    expect(vectors.version).toBe(1);
  });

  it.each(vectors.verifier_cases)('verifier: $name', ({ encoding, valid, check, party }) => {
    const file = bytes(encoding);
    const report = verifyTranscriptBundle(file, roster());
    expect(report.valid).toBe(valid);
    if (valid) {
      expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
      // A valid bundle is canonical: decoding and encoding it again gives the same bytes.
      expect(Buffer.from(encodeTranscriptBundle(decodeTranscriptBundle(file))).equals(Buffer.from(file))).toBe(true);
    } else {
      expect({ check: report.failure!.name, party: report.failure!.party ?? 'undetermined' }).toEqual({ check, party });
    }
  });

  it.each(vectors.key_epoch.verifier_cases)('verifier, key epoch: $name', ({ encoding, previous, valid, skipped, check, party }) => {
    const file = bytes(encoding);
    const report = verifyTranscriptBundle(file, roster(vectors.key_epoch.roster), { previous: previous.map((i) => bytes(vectors.key_epoch.bundles[i]!)) });
    expect(report.valid).toBe(valid);
    if (valid) {
      expect(report.checks.filter((c) => c.status !== 'pass').map((c) => [c.name, c.status])).toEqual(skipped!.map((name) => [name, 'skip']));
      expect(Buffer.from(encodeTranscriptBundle(decodeTranscriptBundle(file))).equals(Buffer.from(file))).toBe(true);
    } else {
      expect({ check: report.failure!.name, party: report.failure!.party ?? 'undetermined' }).toEqual({ check, party });
    }
  });

  it('the key epoch\'s bundles are the valid bundles of its rounds 0, 1 and 2, and round 0 with a FINISH signature that does not verify', () => {
    const { bundles, verifier_cases: cases } = vectors.key_epoch;
    expect(bundles).toHaveLength(4);
    for (const bundle of bundles.slice(0, 3)) expect(cases.some((c) => c.valid && c.encoding === bundle)).toBe(true);
    // Under lab-a's completed leaf a FINISH of lab-b's that does not verify is lab-a's account (audit.md §9.1, "A completed or disputed leaf").
    expect(verifyTranscriptBundle(bytes(bundles[3]!), roster(vectors.key_epoch.roster)).failure).toMatchObject({ name: 'finish-responder', party: 'exporter', member: 'lab-a' });
  });

  it('some verifier case fails first at each check of audit.md §9.1', () => {
    const failing = new Set([...vectors.verifier_cases, ...vectors.key_epoch.verifier_cases].filter((c) => !c.valid).map((c) => c.check));
    expect(BUNDLE_CHECKS.filter((name) => !failing.has(name))).toEqual([]);
  });

  it.each(vectors.invalid_bundles)('invalid bundle is a CodecError $error: $name', ({ encoding, error }) => {
    let caught: unknown;
    try {
      decodeTranscriptBundle(bytes(encoding));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).code).toBe(error);
  });

  // test/spec/negative-vectors.test.ts checks that invalid_bundles name every code of errors.md §6.4.
});
