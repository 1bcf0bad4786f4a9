/** protocol-spec/vectors/audit-log-v1.json: Venn's own leaf, log and tree-head vectors, reproduced exactly. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ed25519KeyPairFromSeed, ready } from '@venn/crypto';
import { CodecError, VennError } from '@venn/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_EXPORTED_LOG_BYTES,
  MAX_ROUND_RECORD_BYTES,
  MemoryLogStorage,
  MerkleLog,
  EXPORTED_LOG_VERSION,
  decodeExportedLog,
  decodeRoundRecord,
  decodeSignedTreeHead,
  encodeExportedLog,
  encodeRoundRecord,
  encodeSignedTreeHead,
  hashLeaf,
  signTreeHead,
  treeHeadSigningInput,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
  type RoundRecord,
} from '../src/index.js';

interface RecordJson extends Omit<RoundRecord, 'roundId' | 'rosterDigest' | 'transcriptHash'> {
  roundId: string;
  rosterDigest: string;
  transcriptHash: string;
}
interface Vectors {
  source: string;
  version: number;
  round_records: { name: string; record: RecordJson; encoding: string; leaf_hash: string }[];
  log: {
    roots: string[];
    inclusion_proofs: { index: number; size: number; proof: string[] }[];
    consistency_proofs: { first: number; second: number; proof: string[] }[];
  };
  tree_head: {
    log_id: string;
    seed: string;
    public_key: string;
    size: number;
    root: string;
    timestamp: number;
    signing_input: string;
    signature: string;
    encoding: string;
  };
  exported_log: {
    log_id: string;
    heads: string[];
    peers: { peer: string; head: string; opened: number | null; leaf: number | null }[];
    peer_public_key: string;
    encoding: string;
  };
  invalid_round_records: { name: string; encoding: string; valid: false; error: string }[];
  invalid_tree_heads: { name: string; encoding: string; log_id?: string; valid: false; error: string }[];
  invalid_exported_logs: { name: string; encoding: string; pad_to?: number; valid: false; error: string }[];
  tampered_tree_heads: { name: string; log_id: string; size: number; root: string; timestamp: number; signature: string }[];
}

const vectorPath = fileURLToPath(new URL('../../../protocol-spec/vectors/audit-log-v1.json', import.meta.url));
const text = readFileSync(vectorPath, 'utf8');
const vectors = JSON.parse(text) as Vectors;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const record = (r: RecordJson): RoundRecord => ({
  ...r,
  roundId: bytes(r.roundId),
  rosterDigest: bytes(r.rosterDigest),
  transcriptHash: bytes(r.transcriptHash),
});

beforeAll(async () => {
  await ready();
});

describe('audit-log-v1 vectors', () => {
  it('are what the checked-in seeded generator produces', () => {
    const script = fileURLToPath(new URL('../scripts/generate-vectors.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(text);
    expect(vectors.source).toMatch(/generate-vectors\.mjs/);
    expect(vectors.version).toBe(2);
  });

  it.each(vectors.round_records)('round record: $name', ({ record: r, encoding, leaf_hash }) => {
    const encoded = encodeRoundRecord(record(r));
    expect(hex(encoded)).toBe(encoding);
    expect(decodeRoundRecord(bytes(encoding))).toEqual(record(r));
    expect(hex(hashLeaf(encoded))).toBe(leaf_hash);
  });

  it('includes a record of the largest size the spec allows', () => {
    const lengths = vectors.round_records.map((v) => v.encoding.length / 2);
    expect(Math.max(...lengths)).toBe(MAX_ROUND_RECORD_BYTES);
    expect(MAX_ROUND_RECORD_BYTES).toBe(377);
  });

  it('log roots and every proof match, and verify', () => {
    const log = new MerkleLog(new MemoryLogStorage());
    for (const v of vectors.round_records) log.append(bytes(v.encoding));
    vectors.log.roots.forEach((root, n) => expect(hex(log.root(n)), `size ${n}`).toBe(root));
    for (const { index, size, proof } of vectors.log.inclusion_proofs) {
      expect(log.inclusionProof(index, size).map(hex)).toEqual(proof);
      const root = bytes(vectors.log.roots[size] as string);
      expect(verifyInclusion(log.leafHash(index), index, size, proof.map(bytes), root)).toBe(true);
    }
    for (const { first, second, proof } of vectors.log.consistency_proofs) {
      expect(log.consistencyProof(first, second).map(hex)).toEqual(proof);
      const [a, b] = [vectors.log.roots[first] as string, vectors.log.roots[second] as string].map(bytes);
      expect(verifyConsistency(first, second, a!, b!, proof.map(bytes))).toBe(true);
    }
    expect(vectors.log.inclusion_proofs.length).toBe(36);
    expect(vectors.log.consistency_proofs.length).toBe(28);
  });

  it('the signed tree head: signing input, deterministic signature, 113-byte encoding', () => {
    const v = vectors.tree_head;
    const keys = ed25519KeyPairFromSeed(bytes(v.seed));
    expect(hex(keys.publicKey)).toBe(v.public_key);
    const head = { size: v.size, root: bytes(v.root), timestamp: v.timestamp };
    expect(hex(treeHeadSigningInput(head, v.log_id))).toBe(v.signing_input);
    const signed = signTreeHead(head, v.log_id, keys.secretKey);
    expect(hex(signed.signature)).toBe(v.signature);
    expect(hex(encodeSignedTreeHead(signed))).toBe(v.encoding);
    const decoded = decodeSignedTreeHead(bytes(v.encoding));
    expect(verifyTreeHead(decoded, v.log_id, keys.publicKey)).toBe(true);
  });

  it('the exported log (audit.md §10.1, version 2): leaves, own heads, peer heads with their receipts', () => {
    const v = vectors.exported_log;
    const decoded = decodeExportedLog(bytes(v.encoding));
    expect(EXPORTED_LOG_VERSION).toBe(2);
    expect(decoded.logId).toBe(v.log_id);
    expect(decoded.leaves.map(hex)).toEqual(vectors.round_records.map((r) => r.encoding));
    expect(decoded.heads.map((head) => hex(encodeSignedTreeHead(head)))).toEqual(v.heads);
    expect(decoded.peerHeads.map((p) => ({ peer: p.peerId, head: hex(encodeSignedTreeHead(p.head)), opened: p.opened, leaf: p.leafIndex }))).toEqual(v.peers);
    for (const p of decoded.peerHeads) expect(verifyTreeHead(p.head, p.peerId, bytes(v.peer_public_key))).toBe(true);
    expect(hex(encodeExportedLog(decoded))).toBe(v.encoding);
  });

  it.each(vectors.tampered_tree_heads)('tampered head is refused: $name', (t) => {
    const head = { size: t.size, root: bytes(t.root), timestamp: t.timestamp, signature: bytes(t.signature) };
    expect(verifyTreeHead(head, t.log_id, bytes(vectors.tree_head.public_key))).toBe(false);
  });

  /** `encoding`, followed by zero bytes up to `pad_to` when the vector gives it. */
  const input = (v: { encoding: string; pad_to?: number }): Uint8Array => {
    const listed = bytes(v.encoding);
    if (v.pad_to === undefined) return listed;
    expect(v.pad_to).toBeGreaterThan(listed.length);
    const padded = new Uint8Array(v.pad_to);
    padded.set(listed);
    return padded;
  };
  const codeOf = (run: () => unknown): string | undefined => {
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(VennError);
      return (e as VennError).code;
    }
    return undefined;
  };

  const invalid = [
    ...vectors.invalid_round_records.map((v) => ({ ...v, kind: 'record' })),
    ...vectors.invalid_tree_heads.filter((v) => v.log_id === undefined).map((v) => ({ ...v, kind: 'head' })),
    ...vectors.invalid_exported_logs.map((v) => ({ ...v, kind: 'exported log' })),
  ];
  const decoders: Record<string, (bytes: Uint8Array) => unknown> = { record: decodeRoundRecord, head: decodeSignedTreeHead, 'exported log': decodeExportedLog };
  it.each(invalid)('invalid $kind is a CodecError $error: $name', (v) => {
    const decode = decoders[v.kind]!;
    let caught: unknown;
    try {
      decode(input(v));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect((caught as CodecError).code).toBe(v.error);
  });
  // test/spec/negative-vectors.test.ts checks that these name every code of errors.md §6.2, §6.3 and §6.5.

  it('the exported log over 256 MiB is refused from its length, before parsing', () => {
    const v = vectors.invalid_exported_logs.find((c) => c.pad_to !== undefined)!;
    expect(v.pad_to).toBe(MAX_EXPORTED_LOG_BYTES + 1);
    expect(codeOf(() => decodeExportedLog(new Uint8Array(MAX_EXPORTED_LOG_BYTES + 1)))).toBe('too-large');
    // One byte less is parsed: the valid file with its padding is only trailing bytes.
    expect(codeOf(() => decodeExportedLog(input({ ...v, pad_to: MAX_EXPORTED_LOG_BYTES })))).toBe('trailing-bytes');
  });

  it.each(vectors.invalid_tree_heads.filter((v) => v.log_id !== undefined))('head under an invalid log id is refused with $error: $name', (v) => {
    const head = decodeSignedTreeHead(bytes(v.encoding));
    const keys = ed25519KeyPairFromSeed(bytes(vectors.tree_head.seed));
    expect(codeOf(() => treeHeadSigningInput(head, v.log_id!))).toBe(v.error);
    expect(codeOf(() => verifyTreeHead(head, v.log_id!, keys.publicKey))).toBe(v.error);
    expect(codeOf(() => signTreeHead(head, v.log_id!, keys.secretKey))).toBe(v.error);
    // The same head under the owner's id verifies: only the log id is wrong.
    expect(verifyTreeHead(head, vectors.tree_head.log_id, keys.publicKey)).toBe(true);
  });
});
