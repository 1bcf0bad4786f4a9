/** venn synth: seeded lists with planted overlaps, read back through @venn/identifiers and checked against a naive intersection. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@venn/errors';
import { canonicalize, digestToHex, identifierDigest, readIdentifiers, type IdentifierKind } from '@venn/identifiers';
import { main } from '../src/main.js';
import { eip55, isRejected, messySpelling, newCanonical, spellings, JUNK, SYNTH_KINDS } from '../src/internal/synth-identifiers.js';
import { SeededRandom } from '../src/internal/synth-random.js';
import { GROUND_TRUTH_FILE, synthesize, writeSynth, type GroundTruth, type SynthFile, type SynthOptions } from '../src/internal/synth.js';

const root = mkdtempSync(join(tmpdir(), 'venn-synth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small: SynthOptions = { labs: 3, size: 400, seed: 7, overlap: 0.2, kinds: ['email', 'phone', 'device_id', 'payment_fingerprint', 'ip'] };

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

function labelColumns(args: readonly string[]): { category?: string; first_seen?: string; reason?: string } {
  const columns: { category?: string; first_seen?: string; reason?: string } = {};
  const category = option(args, '--category-column');
  const firstSeen = option(args, '--first-seen-column');
  const reason = option(args, '--reason-column');
  if (category !== undefined) columns.category = category;
  if (firstSeen !== undefined) columns.first_seen = firstSeen;
  if (reason !== undefined) columns.reason = reason;
  return columns;
}

interface ReadBack { records: Array<{ account: string; digest: string; labels: Record<string, string> | undefined }>; rejects: Record<string, number>; rows: number }

/** Reads a written file exactly as venn ingest would, from the ingest arguments in the ground truth. */
async function readBack(out: string, file: SynthFile): Promise<ReadBack> {
  const args = file.ingest;
  const records: ReadBack['records'] = [];
  const rejects: Record<string, number> = {};
  let rows = 0;
  for await (const event of readIdentifiers(join(out, file.path), {
    format: file.format, kind: option(args, '--kind') as IdentifierKind, column: option(args, '--column'), region: option(args, '--region'),
    accountColumn: option(args, '--account-column'),
    labelColumns: labelColumns(args),
  })) {
    rows++;
    if (event.type === 'reject') rejects[event.reason] = (rejects[event.reason] ?? 0) + 1;
    else records.push({ account: event.accountRef ?? '', digest: digestToHex(event.digest), labels: event.labels as Record<string, string> | undefined });
  }
  return { records, rejects, rows };
}

describe('synthesize', () => {
  const out = join(root, 'small');
  const truth: GroundTruth = writeSynth(out, small);

  it('writes every file and a ground truth that names them', () => {
    expect(truth.labs).toEqual(['lab-a', 'lab-b', 'lab-c']);
    expect(JSON.parse(readFileSync(join(out, GROUND_TRUTH_FILE), 'utf8'))).toEqual(JSON.parse(JSON.stringify(truth)));
    expect(truth.files.map((f) => f.path)).toContain('lab-a/email.csv');
    expect(truth.files.map((f) => f.path)).toContain('lab-b/phone.jsonl');
    for (const id of truth.labs) expect(truth.expected[id]?.identifiers).toBe(400);
  });

  it('plants a ring held by every lab and one overlap per pair, about overlap·size per lab', () => {
    expect(truth.groups.map((g) => [g.name, g.labs.length])).toEqual([['ring', 3], ['lab-a+lab-b', 2], ['lab-a+lab-c', 2], ['lab-b+lab-c', 2]]);
    const ring = truth.groups[0]!.size;
    const pair = truth.groups[1]!.size;
    expect(ring + 2 * pair).toBeGreaterThanOrEqual(79);
    expect(ring + 2 * pair).toBeLessThanOrEqual(80);
    for (const id of truth.labs) {
      const matches = truth.expected[id]!.matches;
      expect(matches.filter((m) => m.group === 'ring').every((m) => m.peers.length === 2)).toBe(true);
      expect(matches).toHaveLength(ring + 2 * pair);
    }
  });

  it('reads back as ingest reads it: the expected rows, accepted, repeated and rejected counts and reasons', async () => {
    for (const file of truth.files) {
      const { records, rejects, rows } = await readBack(out, file);
      expect(rows, file.path).toBe(file.rows);
      expect(rejects, file.path).toEqual(file.rejectReasons);
      const distinct = new Set(records.map((r) => `${r.account} ${r.digest}`));
      expect(distinct.size, file.path).toBe(file.accepted);
      expect(records.length - distinct.size, file.path).toBe(file.duplicates);
    }
  });

  it('ground-truth matches equal a naive intersection of the digests the files really hold', async () => {
    const held = new Map<string, Map<string, { account: string; labels: Record<string, string> | undefined }>>();
    for (const file of truth.files) {
      const lab = held.get(file.lab) ?? new Map();
      held.set(file.lab, lab);
      for (const record of (await readBack(out, file)).records) lab.set(record.digest, { account: record.account, labels: record.labels });
    }
    for (const id of truth.labs) {
      const mine = held.get(id)!;
      expect(mine.size).toBe(400);
      const naive = new Map<string, string[]>();
      for (const [digest, { account }] of mine) {
        const peers = truth.labs.filter((peer) => peer !== id && held.get(peer)!.has(digest));
        if (peers.length > 0) naive.set(account, peers);
      }
      const planted = new Map(truth.expected[id]!.matches.map((m) => [m.account, [...m.peers]]));
      expect(planted).toEqual(naive);
      // Accounts and peer labels in the ground truth are what the files carry for that identifier.
      for (const match of truth.expected[id]!.matches) {
        const digest = digestToHex(identifierDigest(match.kind, match.canonical));
        expect(mine.get(digest)?.account).toBe(match.account);
        for (const peer of match.peers) {
          const labels = match.peerLabels[peer];
          const expected = labels === undefined ? undefined : {
            ...(labels.category === undefined ? {} : { category: labels.category }),
            ...(labels.firstSeen === undefined ? {} : { first_seen: labels.firstSeen }),
            ...(labels.reason === undefined ? {} : { reason: labels.reason }),
          };
          expect(held.get(peer)!.get(digest)?.labels).toEqual(expected);
        }
      }
    }
  });

  it('is messy the way exports are: spellings, whitespace, BOM, CRLF, quoting, blank-free JSON lines', () => {
    const text = (path: string): string => readFileSync(join(out, path), 'utf8');
    expect(text('lab-a/email.csv').startsWith('\ufeff')).toBe(true);
    expect(text('lab-a/email.csv')).toContain('\r\n');
    expect(text('lab-b/email.csv')).not.toContain('\r');
    expect(text('lab-c/ip.csv').split('\r\n')[0]).toBe('" uid "," client_ip "," label "," first_seen_date "," notes "');
    const ips = text('lab-c/ip.csv') + text('lab-a/ip.csv');
    expect(ips).toMatch(/::ffff:198\.1[89]\./i);
    expect(text('lab-a/phone.csv')).toMatch(/\(\d{3}\) \d{3}-\d{4}/);
    expect(text('lab-a/device_id.csv')).toMatch(/\{[0-9A-Fa-f-]{36}\}|urn:uuid:/i);
    expect(text('lab-a/email.csv')).toMatch(/[A-Z]/);
    expect(text('lab-c/email.csv')).toMatch(/"[ \t\u00a0]|[ \t\u00a0]"/);
    for (const file of truth.files) expect(file.quirks.join('; '), file.path).toMatch(/non-canonical spelling/);
  });

  it('gives byte-identical output for the same options and different output for another seed', () => {
    const again = synthesize(small);
    const first = synthesize(small);
    expect(again.files.map((f) => f.content)).toEqual(first.files.map((f) => f.content));
    expect(again.groundTruth).toEqual(truth);
    const other = synthesize({ ...small, seed: 8 });
    expect(other.files[0]!.content).not.toBe(first.files[0]!.content);
  });

  it('plants only the ring for two labs, and nothing shared at overlap 0', () => {
    const two = synthesize({ ...small, labs: 2, size: 100, overlap: 0.3 }).groundTruth;
    expect(two.groups).toEqual([{ name: 'ring', labs: ['lab-a', 'lab-b'], size: 30 }]);
    expect(two.expected['lab-b']!.matches).toHaveLength(30);
    const none = synthesize({ ...small, size: 50, overlap: 0 }).groundTruth;
    expect(Object.values(none.expected).every((lab) => lab.matches.length === 0)).toBe(true);
  });

  it('generates every synth kind, wallets and accounts included', async () => {
    const all = writeSynth(join(root, 'all-kinds'), { labs: 2, size: 300, seed: 3, overlap: 0.5, kinds: [...SYNTH_KINDS] });
    expect(new Set(all.files.map((f) => f.kind))).toEqual(new Set(SYNTH_KINDS));
    for (const file of all.files) expect((await readBack(join(root, 'all-kinds'), file)).rejects).toEqual(file.rejectReasons);
  });

  it.each([
    [{ labs: 1 }, 'invalid-labs'], [{ labs: 9 }, 'invalid-labs'], [{ labs: 2.5 }, 'invalid-labs'],
    [{ size: 0 }, 'invalid-size'], [{ size: 1_048_577 }, 'invalid-size'], [{ seed: -1 }, 'invalid-seed'], [{ seed: 0.5 }, 'invalid-seed'],
    [{ overlap: 1.5 }, 'invalid-overlap'], [{ overlap: Number.NaN }, 'invalid-overlap'], [{ kinds: [] }, 'invalid-kinds'],
    [{ kinds: ['email', 'ip_v4_24'] }, 'invalid-kinds'], [{ messiness: 2 }, 'invalid-messiness'],
  ])('refuses %j with %s', (change, code) => {
    expect(() => synthesize({ ...small, ...(change as Partial<SynthOptions>) })).toThrow(expect.objectContaining({ code }) as Error);
    expect(() => synthesize({ ...small, ...(change as Partial<SynthOptions>) })).toThrow(ValidationError);
  });
});

describe('synthetic identifiers', () => {
  it('every spelling of every kind canonicalizes back to the value', () => {
    const rng = new SeededRandom(11);
    for (const kind of SYNTH_KINDS) {
      for (let i = 0; i < 150; i++) {
        const canonical = newCanonical(kind, rng);
        expect(canonicalize(kind, canonical, kind === 'phone' ? { region: 'US' } : {})).toBe(canonical);
        for (const region of ['US', 'GB']) {
          for (const spelled of spellings(kind, canonical, region)) {
            expect(canonicalize(kind, spelled, kind === 'phone' ? { region } : {}), `${kind} ${JSON.stringify(spelled)} in ${region}`).toBe(canonical);
          }
          const messy = messySpelling(kind, canonical, region, rng, 1);
          expect(canonicalize(kind, messy, kind === 'phone' ? { region } : {})).toBe(canonical);
        }
      }
    }
  });

  it('spells values in several ways per kind', () => {
    const rng = new SeededRandom(5);
    const distinct = (kind: (typeof SYNTH_KINDS)[number]): number => new Set(spellings(kind, newCanonical(kind, rng), 'US')).size;
    expect(distinct('email')).toBeGreaterThanOrEqual(4);
    expect(distinct('ip')).toBeGreaterThanOrEqual(4);
    expect(distinct('wallet')).toBe(4);
    expect(spellings('phone', '+14155550123', 'US')).toEqual(expect.arrayContaining(['(415) 555-0123', '415.555.0123', '+1 415 555 0123', '011 1 415 555 0123']));
    expect(spellings('phone', '+442079461123', 'GB')).toEqual(expect.arrayContaining(['020 7946 1123', '+44 (0)20 7946 1123', '00 44 20 7946 1123']));
    expect(spellings('email', 'j.kim@xn--bcher-kva.example', 'US')).toContain('j.kim@bücher.example');
  });

  it('computes EIP-55 checksums as the EIP gives them', () => {
    // Test cases from EIP-55.
    for (const address of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb']) {
      expect(eip55(address.toLowerCase())).toBe(address);
    }
  });

  it('junk values are all rejected with the reason listed', () => {
    for (const kind of SYNTH_KINDS) {
      for (const [value] of JUNK[kind]) expect(isRejected(kind, value, 'US'), `${kind} ${value}`).toBe(true);
    }
    expect(isRejected('email', 'alice@example.com', 'US')).toBe(false);
  });
});

describe('SeededRandom', () => {
  it('stays in range and repeats for a seed', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 1, max: 1_000_000 }), (seed, n) => {
      const a = new SeededRandom(seed);
      const b = new SeededRandom(seed);
      for (let i = 0; i < 20; i++) {
        const x = a.int(n);
        expect(x).toBe(b.int(n));
        expect(x >= 0 && x < n && Number.isInteger(x)).toBe(true);
      }
    }));
  });

  it('spreads draws roughly evenly', () => {
    const rng = new SeededRandom(1);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(10)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it.each([[-1], [1.5], [Number.NaN], [2 ** 53]])('refuses seed %s', (seed) => {
    expect(() => new SeededRandom(seed)).toThrow(expect.objectContaining({ code: 'invalid-seed' }) as Error);
  });

  it('refuses an empty choice', () => {
    expect(() => new SeededRandom(1).pick([])).toThrow(expect.objectContaining({ code: 'empty-choice' }) as Error);
  });
});

describe('venn synth', () => {
  function capture(): { io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }; out: () => string; err: () => string } {
    let out = '';
    let err = '';
    const sink = (append: (text: string) => void): NodeJS.WritableStream => ({ write: (chunk: string) => { append(chunk); return true; } }) as unknown as NodeJS.WritableStream;
    return { io: { stdout: sink((t) => { out += t; }), stderr: sink((t) => { err += t; }) }, out: () => out, err: () => err };
  }

  it('writes the files and prints the file table and groups', async () => {
    const c = capture();
    const dir = join(root, 'cli');
    expect(await main(['synth', '--out', dir, '--labs', '2', '--size', '120', '--seed', '4', '--overlap', '0.25', '--kinds', 'email,ip'], c.io)).toBe(0);
    expect(c.out()).toMatch(/wrote 4 files for 2 labs/);
    expect(c.out()).toMatch(/ring\s+lab-a,lab-b\s+30/);
    const truth = JSON.parse(readFileSync(join(dir, GROUND_TRUTH_FILE), 'utf8')) as GroundTruth;
    expect(truth).toMatchObject({ seed: 4, size: 120, overlap: 0.25, kinds: ['email', 'ip'] });
  });

  it.each([
    [['--out', 'x', '--overlap', '1.2'], /"--overlap" expected a fraction between 0 and 1, got "1.2"/],
    [['--out', 'x', '--overlap', 'abc'], /"--overlap" expected a fraction/],
    [['--out', 'x', '--labs', '1'], /"--labs" expected an integer between 2 and 8/],
    [['--out', 'x', '--kinds', 'email,fax'], /"--kinds" expected a comma-separated list of email, phone/],
    [['--out', 'x', '--kinds', 'none'], /"--kinds" expected at least one/],
    [['--labs', '3'], /"--out" expected DIR, got nothing/],
  ])('refuses %j with a usage error', async (args, message) => {
    const c = capture();
    expect(await main(['synth', ...args], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    expect(c.err().trimEnd().split('\n')).toHaveLength(1);
  });
});
