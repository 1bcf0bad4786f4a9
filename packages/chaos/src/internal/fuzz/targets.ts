/**
 * The decoders of untrusted bytes, each as a fuzz target: valid seeds taken from the vector files
 * (protocol-spec/vectors) and from Venn's own encoders, so the seeds follow the formats as they
 * change, and a run function that must end in a value or a typed error. Where a format promises one
 * encoding per value (SPEC §5.1, audit.md §3, §4, §8.2, §10.1), an accepted input must re-encode to
 * the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeExportedLog, decodeRoundRecord, decodeSignedTreeHead, decodeTranscriptBundle, encodeExportedLog, encodeRoundRecord, encodeSignedTreeHead,
  encodeTranscriptBundle,
} from '@venn/audit';
import { ed25519KeyPairFromSeed, ready as cryptoReady } from '@venn/crypto';
import { isIdentifierKind, readIdentifiers, type ReadIdentifiersOptions } from '@venn/identifiers';
import { loadConfig } from '@venn/node';
import {
  FRAME_KIND_ACCEPT, FRAME_KIND_CLOSE, FRAME_KIND_DATA, FrameOpener, FrameSealer, InitiatorHandshake, ResponderHandshake, decodeCloseBody, encodeCloseBody,
  parseRoster, rosterDigest, transportReady, type Roster,
} from '@venn/transport';
import { decodeMessage, encodeMessage } from '@venn/wire';
import type { SeededRandom } from '../random.js';
import { mutate, type Structure } from './mutate.js';

/** packages/chaos/{src,dist}/internal/fuzz → the repository root. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const VECTORS = join(ROOT, 'protocol-spec/vectors');
const CLI = join(ROOT, 'packages/node/dist/cli.js');

/** A property of an accepted input that does not hold: a finding, like a crash. */
export class FuzzFinding extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = 'FuzzFinding';
  }
}

export interface FuzzTarget {
  readonly name: string;
  readonly description: string;
  readonly structure: Structure;
  readonly seeds: readonly Uint8Array[];
  /** One input from the generator; the default mutates a seed. */
  readonly generate?: (random: SeededRandom) => Uint8Array;
  /** Decodes one input: returns a value, or throws a VennError; anything else is a finding. */
  run(input: Uint8Array): unknown;
  /** Releases what the target holds outside memory (the config target's directory). */
  close?(): void;
}

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const utf8 = new TextEncoder();
const text = new TextDecoder();

function vector<T>(name: string): T {
  return JSON.parse(readFileSync(join(VECTORS, name), 'utf8')) as T;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** An accepted input of a canonical format must be the one encoding of its value. */
function canonical(kind: string, input: Uint8Array, reencode: () => Uint8Array): void {
  const again = reencode();
  if (!sameBytes(again, input)) throw new FuzzFinding('non-canonical-accepted', `${kind}: an accepted input of ${input.length} bytes re-encodes to ${again.length} other bytes`);
}

/** A message of a long round is given by its length and SHA-256 only, without `hex`. */
type VectorMessage = { kind: string; hex?: string };

interface RoundVectors {
  rounds: Array<{ messages: { initiator: VectorMessage[]; responder: VectorMessage[] } }>;
}

function roundMessages(): Uint8Array[] {
  return vector<RoundVectors>('venn-round.json').rounds.flatMap((round) => [...round.messages.initiator, ...round.messages.responder])
    .flatMap((m) => (m.hex === undefined ? [] : [fromHex(m.hex)]));
}

function wireTarget(): FuzzTarget {
  return {
    name: 'wire', description: 'round messages (SPEC §5): decodeMessage', structure: 'msgpack', seeds: roundMessages(),
    run(input) {
      const message = decodeMessage(input);
      canonical('wire', input, () => encodeMessage(message));
      return message;
    },
  };
}

function frameTarget(base: (random: SeededRandom, structure: Structure, seeds: readonly Uint8Array[]) => Uint8Array): FuzzTarget {
  const key = new Uint8Array(32).fill(0x5c);
  const messages = roundMessages();
  const plaintexts = [
    ...messages.map((m) => ({ kind: FRAME_KIND_DATA, body: m })),
    { kind: FRAME_KIND_CLOSE, body: encodeCloseBody('normal', 'round finished') },
    { kind: FRAME_KIND_CLOSE, body: encodeCloseBody('purpose-refused', 'round-replayed: round 12ab already completed here') },
    { kind: FRAME_KIND_ACCEPT, body: new Uint8Array(0) },
  ] as const;
  const seal = (kind: number, body: Uint8Array): Uint8Array => new FrameSealer(key.slice()).seal(kind as typeof FRAME_KIND_DATA, body);
  const seeds = plaintexts.map((p) => seal(p.kind, p.body));
  return {
    name: 'frame', description: 'sealed transport frames and their CLOSE and DATA bodies (transport.md §5): FrameOpener.open, decodeCloseBody, decodeMessage', structure: 'binary', seeds,
    generate(random) {
      // Half the inputs are mutated in the clear and then sealed, so they pass the AEAD and reach the body decoders.
      if (random.chance(0.5)) return base(random, 'binary', seeds);
      const plain = random.pick(plaintexts);
      const body = base(random, plain.kind === FRAME_KIND_DATA ? 'msgpack' : 'binary', [plain.body]);
      return seal(random.chance(0.9) ? plain.kind : random.int(0, 255), body);
    },
    run(input) {
      const opened = new FrameOpener(key.slice()).open(input);
      if (opened.kind === FRAME_KIND_CLOSE) return decodeCloseBody(opened.body);
      if (opened.kind === FRAME_KIND_DATA) return decodeMessage(opened.body);
      return opened;
    },
  };
}

interface HandshakeVectors {
  roster: unknown;
  purpose: string;
  initiator: { id: string; seed: string; ephemeralSecret: string };
  responder: { id: string; seed: string; ephemeralSecret: string };
  steps: { hello: string; response: string; auth: string };
}

function handshakeTarget(): FuzzTarget {
  const v = vector<HandshakeVectors>('transport-handshake-v1.json');
  const roster: Roster = parseRoster(v.roster);
  const initiator = { id: v.initiator.id, secretKey: ed25519KeyPairFromSeed(fromHex(v.initiator.seed)).secretKey };
  const responder = { id: v.responder.id, secretKey: ed25519KeyPairFromSeed(fromHex(v.responder.seed)).secretKey };
  const hello = fromHex(v.steps.hello);
  const purpose = fromHex(v.purpose);
  return {
    name: 'handshake', description: 'handshake messages (transport.md §4): HELLO to a responder, RESPONSE to an initiator, AUTH after a valid HELLO, by type byte',
    structure: 'binary', seeds: [hello, fromHex(v.steps.response), fromHex(v.steps.auth)],
    run(input) {
      if (input[0] === 0x02) {
        const side = new InitiatorHandshake({ roster, identity: initiator, peerId: responder.id, purpose, ephemeralSecret: fromHex(v.initiator.ephemeralSecret) });
        side.hello();
        return side.readResponse(input);
      }
      const side = new ResponderHandshake({ roster, identity: responder, ephemeralSecret: fromHex(v.responder.ephemeralSecret) });
      if (input[0] === 0x03) {
        side.readHello(hello);
        return side.readAuth(input);
      }
      return side.readHello(input);
    },
  };
}

interface AuditVectors {
  round_records: Array<{ encoding: string }>;
  invalid_round_records: Array<{ encoding: string }>;
  tree_head: { encoding: string };
  exported_log: { encoding: string; heads: string[] };
}

function roundRecordTarget(): FuzzTarget {
  const v = vector<AuditVectors>('audit-log-v1.json');
  return {
    name: 'round-record', description: 'audit log leaves, round record v2 (audit.md §3): decodeRoundRecord', structure: 'binary',
    seeds: [...v.round_records, ...v.invalid_round_records].map((r) => fromHex(r.encoding)),
    run(input) {
      const record = decodeRoundRecord(input);
      canonical('round-record', input, () => encodeRoundRecord(record));
      return record;
    },
  };
}

function treeHeadTarget(): FuzzTarget {
  const v = vector<AuditVectors>('audit-log-v1.json');
  return {
    name: 'tree-head', description: 'signed tree heads, wire form (audit.md §4): decodeSignedTreeHead', structure: 'binary',
    seeds: [fromHex(v.tree_head.encoding), ...v.exported_log.heads.map(fromHex)],
    run(input) {
      const head = decodeSignedTreeHead(input);
      canonical('tree-head', input, () => encodeSignedTreeHead(head));
      return head;
    },
  };
}

function exportedLogTarget(): FuzzTarget {
  const v = vector<AuditVectors>('audit-log-v1.json');
  return {
    name: 'exported-log', description: 'exported logs (audit.md §10.1): decodeExportedLog', structure: 'msgpack', seeds: [fromHex(v.exported_log.encoding)],
    run(input) {
      const log = decodeExportedLog(input);
      canonical('exported-log', input, () => encodeExportedLog(log));
      return log;
    },
  };
}

function bundleTarget(): FuzzTarget {
  const audit = vector<AuditVectors>('audit-log-v1.json');
  const round = vector<RoundVectors>('venn-round.json').rounds[0]!;
  const party = (messages: readonly VectorMessage[]): { frames: Uint8Array[]; labelsDigest: Uint8Array; rejectedFrameDigest: null } => ({
    frames: messages.flatMap((m) => (m.kind === 'labels' || m.hex === undefined ? [] : [fromHex(m.hex)])), labelsDigest: new Uint8Array(64).fill(7), rejectedFrameDigest: null,
  });
  const seed = encodeTranscriptBundle({
    exporter: 'lab-a', leaf: fromHex(audit.round_records[0]!.encoding), leafIndex: 0, treeHead: decodeSignedTreeHead(fromHex(audit.tree_head.encoding)),
    inclusionProof: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)], initiator: party(round.messages.initiator), responder: party(round.messages.responder),
  });
  return {
    name: 'bundle', description: 'transcript bundles (audit.md §8.2): decodeTranscriptBundle', structure: 'msgpack', seeds: [seed],
    run(input) {
      const bundle = decodeTranscriptBundle(input);
      canonical('bundle', input, () => encodeTranscriptBundle(bundle));
      return bundle;
    },
  };
}

interface RosterVectors {
  valid: Array<{ roster: unknown }>;
  invalid: Array<{ roster?: unknown; rosterText?: string }>;
}

function rosterTarget(): FuzzTarget {
  const v = vector<RosterVectors>('roster-v1.json');
  const seeds = [...v.valid.map((c) => JSON.stringify(c.roster)), ...v.invalid.map((c) => c.rosterText ?? JSON.stringify(c.roster))].map((s) => utf8.encode(s));
  return {
    name: 'roster', description: 'rosters (roster.md §1): parseRoster of the JSON text, then its digest', structure: 'json', seeds,
    run(input) {
      const roster = parseRoster(text.decode(input));
      return rosterDigest(roster);
    },
  };
}

function configTarget(): FuzzTarget {
  const dir = mkdtempSync(join(tmpdir(), 'venn-fuzz-config-'));
  const path = join(dir, 'venn.config.json');
  const seeds = [
    { version: 1, id: 'lab-a', listen: '127.0.0.1:7000' },
    { version: 1, id: 'lab-b', listen: '0.0.0.0:7443', admin: '127.0.0.1:7100', adminAllowedHosts: ['venn.lab-b.example'], logLevel: 'debug', clockSkewSeconds: 60, retry: { initialDelaySeconds: 1, maxDelaySeconds: 30, multiplier: 1.5 }, roundTimeoutSeconds: 600, workers: 4,
      policy: { maxPeerSetSize: 50000, maxRoundsPerDay: 24, maxAdHocRoundsPerDay: 2, maxEvaluationsPerDay: 100000, maxAttemptsPerRound: 3, maxAbandonmentsPerDay: 2, modes: ['intersection', 'cardinality'], acceptSemiHonestCardinality: true, shareLabels: ['category', 'first_seen'] },
      peers: { 'lab-a': { maxPeerSetSize: 0 }, 'lab-c': { shareLabels: [] } } },
    { version: 1, id: 'lab-c', listen: '[::1]:7001', store: 'data/venn.db', identityKey: 'keys/identity.key', roster: 'roster.json', adminToken: 'admin.token', tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem', caFile: 'tls/ca.pem', systemCa: false } },
  ].map((doc) => utf8.encode(JSON.stringify(doc, null, 2)));
  return {
    name: 'config', description: 'node configuration files (node.md §1.1): loadConfig of venn.config.json', structure: 'json', seeds,
    run(input) {
      writeFileSync(path, input);
      return loadConfig(dir);
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface ListSeed {
  readonly content: Uint8Array;
  readonly options: ReadIdentifiersOptions;
}

/** Small exports from `venn synth` (the CLI as a user runs it): every kind, CSV and JSONL, messy spellings. */
function listSeeds(): ListSeed[] {
  const dir = mkdtempSync(join(tmpdir(), 'venn-fuzz-lists-'));
  try {
    const result = spawnSync(process.execPath, [CLI, 'synth', '--out', dir, '--labs', '3', '--size', '30', '--seed', '5', '--kinds', 'email,phone,device_id,payment_fingerprint,ip,wallet,account'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`venn synth failed: ${result.stderr}`);
    const truth = JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as { files: Array<{ path: string; format: 'csv' | 'jsonl'; ingest: string[] }> };
    return truth.files.map((file) => {
      const arg = (flag: string): string | undefined => {
        const i = file.ingest.indexOf(flag);
        return i < 0 ? undefined : file.ingest[i + 1];
      };
      const kind = arg('--kind') ?? 'email';
      if (!isIdentifierKind(kind)) throw new Error(`venn synth wrote an unknown kind ${kind}`);
      const labels: { category?: string; first_seen?: string; reason?: string } = {};
      const category = arg('--category-column');
      const firstSeen = arg('--first-seen-column');
      const reason = arg('--reason-column');
      if (category !== undefined) labels.category = category;
      if (firstSeen !== undefined) labels.first_seen = firstSeen;
      if (reason !== undefined) labels.reason = reason;
      return {
        content: new Uint8Array(readFileSync(join(dir, file.path))),
        options: { format: file.format, kind, column: arg('--column'), region: arg('--region'), accountColumn: arg('--account-column'), labelColumns: labels, maxRecordBytes: 64 * 1024 },
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listTarget(format: 'csv' | 'jsonl', all: readonly ListSeed[]): FuzzTarget {
  const mine = all.filter((s) => s.options.format === format);
  // The input's first byte picks the seed's options, so a replayed corpus file decodes the same way.
  return {
    name: format, description: `${format.toUpperCase()} list rows (identifiers.md §8): readIdentifiers over every row, with each seed's column options chosen by the first byte`,
    structure: 'lines', seeds: mine.map((s, i) => Uint8Array.of(i, ...s.content)),
    async run(input) {
      const options = mine[(input[0] ?? 0) % mine.length]!.options;
      let rows = 0;
      // A string names a file to readIdentifiers; the content goes in as a byte stream, as from a file.
      const body = input.subarray(1);
      const chunks = (async function* (): AsyncGenerator<Uint8Array> { yield body; })();
      for await (const event of readIdentifiers(chunks, options)) {
        void event;
        rows += 1;
      }
      return rows;
    },
  };
}

export const TARGET_NAMES = ['wire', 'frame', 'handshake', 'round-record', 'tree-head', 'bundle', 'exported-log', 'roster', 'config', 'csv', 'jsonl'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** Every target, seeds built. Callers close them (closeTargets) when done. */
export async function loadTargets(): Promise<Map<TargetName, FuzzTarget>> {
  await cryptoReady();
  await transportReady();
  const base = (random: SeededRandom, structure: Structure, seeds: readonly Uint8Array[]): Uint8Array => mutate(random, structure, random.pick(seeds), seeds);
  const lists = listSeeds();
  const targets: FuzzTarget[] = [
    wireTarget(), frameTarget(base), handshakeTarget(), roundRecordTarget(), treeHeadTarget(), bundleTarget(), exportedLogTarget(), rosterTarget(), configTarget(),
    listTarget('csv', lists), listTarget('jsonl', lists),
  ];
  return new Map(targets.map((t) => [t.name as TargetName, t]));
}

/** Closes every target of `targets` (removes the files they keep on disk). */
export function closeTargets(targets: Map<TargetName, FuzzTarget>): void {
  for (const target of targets.values()) target.close?.();
}

/** Corpus files of a target (minimised findings), replayed by the test suite. */
export function corpusFiles(corpusDir: string, target: string): string[] {
  try {
    return readdirSync(join(corpusDir, target)).filter((name) => name.endsWith('.bin')).map((name) => join(corpusDir, target, name));
  } catch {
    return [];
  }
}
