/**
 * `venn audit` on node stores holding a round in which lab-b sent one wrong evaluation: lab-a
 * aborted with bad-proof, and the bundle either lab exports names lab-b at fault. The stores are
 * written as the daemon writes them (a cheating daemon cannot be started); the commands are the CLI's.
 * Also: junk files, missing rounds and usage errors.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES, attemptAccounts, encodeRoundRecord, signTreeHead } from '@venn/audit';
import { ready as cryptoReady } from '@venn/crypto';
import { createRound, ownSetFromDigests, type Role, type Round, type RoundResult } from '@venn/protocol';
import { parseRoster, rosterDigest } from '@venn/transport';
import { decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { hashIdentifier, identifierRules, identifierRulesString } from '@venn/identifiers';
import { main } from '../src/main.js';
import { loadKeyFile, type Identity } from '../src/internal/keyfile.js';
import { adHocRoundId } from '../src/internal/schedule.js';
import { Store } from '../src/internal/store.js';

const root = mkdtempSync(join(tmpdir(), 'venn-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

/** The CLI in this process, its output captured. */
async function venn(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable => new Writable({ write(chunk: Buffer, _encoding, done) { append(chunk.toString()); done(); } });
  const code = await main(args, { stdout: sink((text) => { stdout += text; }), stderr: sink((text) => { stderr += text; }) });
  return { code, stdout, stderr };
}

const dirs = { 'lab-a': join(root, 'lab-a'), 'lab-b': join(root, 'lab-b'), 'lab-c': join(root, 'lab-c') };
const rosterPath = join(root, 'roster.json');
const file = (name: string): string => join(root, name);
let roundIdHex = '';

/** Both parties pumped back to back; lab-b's first EVALUATED chunk has one point replaced. */
function cheatingRound(keys: Record<Role, Identity>, digest: Uint8Array, roundId: Uint8Array): { results: Record<Role, RoundResult>; records: Record<Role, Array<{ direction: 'sent' | 'received'; message: Uint8Array }>> } {
  const elements = {
    initiator: ['a1', 's1', 's2', 'a2'].map((v) => hashIdentifier('email', `${v}@example.com`).digest),
    responder: ['s2', 'b1', 's1', 'b2', 'b3'].map((v) => hashIdentifier('email', `${v}@example.com`).digest),
  };
  const records: Record<Role, Array<{ direction: 'sent' | 'received'; message: Uint8Array }>> = { initiator: [], responder: [] };
  let counter = 0;
  const rng = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (counter = (counter * 1103515245 + 12345) % 2 ** 31) & 0xff);
  const make = (role: Role): Round => createRound({
    role, roundId, rosterDigest: digest, selfId: role === 'initiator' ? 'lab-a' : 'lab-b', peerId: role === 'initiator' ? 'lab-b' : 'lab-a', mode: 'intersection',
    policy: { maxPeerSetSize: 65_536, evaluationAllowance: 65_536, modes: ['intersection'], labelFields: [], semiHonestCardinality: false, allowIdentifierRulesMismatch: false },
    identifierRules: identifierRulesString(identifierRules()), ownSet: ownSetFromDigests(elements[role]), rng,
    signingKey: keys[role].secretKey.slice(), peerPublicKey: keys[role === 'initiator' ? 'responder' : 'initiator'].publicKey, logHead: null,
  });
  const rounds = { initiator: make('initiator'), responder: make('responder') };
  const inbox: Record<Role, Uint8Array[]> = { initiator: [], responder: [] };
  let cheated = false;
  const send = (from: Role, outbound: ReadonlyArray<{ kind: string; bytes: Uint8Array }>): void => {
    for (const { kind, bytes } of outbound) {
      let wire = bytes;
      if (from === 'responder' && kind === 'evaluated' && !cheated) {
        cheated = true;
        const chunk = decodeMessage(bytes) as Extract<Message, { kind: 'evaluated' }>;
        const points = chunk.points.slice();
        points.set(chunk.points.subarray(32, 64), 0);
        wire = encodeMessage({ ...chunk, points });
      }
      records[from].push({ direction: 'sent', message: wire });
      inbox[from === 'initiator' ? 'responder' : 'initiator'].push(wire);
    }
  };
  send('initiator', rounds.initiator.start());
  send('responder', rounds.responder.start());
  for (let turn = 0; inbox.initiator.length + inbox.responder.length > 0; turn++) {
    const to: Role = inbox.initiator.length > 0 && (turn % 2 === 0 || inbox.responder.length === 0) ? 'initiator' : 'responder';
    const frame = inbox[to].shift()!;
    if (rounds[to].done) continue;
    records[to].push({ direction: 'received', message: frame });
    send(to, rounds[to].receive(frame));
  }
  return { results: { initiator: rounds.initiator.result!, responder: rounds.responder.result! }, records };
}

beforeAll(async () => {
  await cryptoReady();
  const entries: string[] = [];
  for (const [i, [id, dir]] of Object.entries(dirs).entries()) {
    // Roster endpoints must differ; nothing listens on them here.
    const init = await venn(['init', '--dir', dir, '--id', id, '--listen', `127.0.0.1:${7301 + i}`, '--admin', `127.0.0.1:${7401 + i}`]);
    expect(init.code).toBe(0);
    writeFileSync(file(`${id}.json`), init.stdout);
    entries.push(file(`${id}.json`));
  }
  expect((await venn(['roster', 'build', '--name', 'audit-test', '--schedule', '0 0 1 1 *', '--out', rosterPath, ...entries])).code).toBe(0);
  for (const dir of Object.values(dirs)) expect((await venn(['roster', 'use', '--dir', dir, rosterPath])).code).toBe(0);
  const digest = rosterDigest(parseRoster(readFileSync(rosterPath, 'utf8')));
  const keys = { initiator: await loadKeyFile(join(dirs['lab-a'], 'identity.key')), responder: await loadKeyFile(join(dirs['lab-b'], 'identity.key')) };
  const roundId = adHocRoundId(digest, 'lab-a', 'lab-b', new Uint8Array(16).fill(5));
  roundIdHex = Buffer.from(roundId).toString('hex');
  const { results, records } = cheatingRound(keys, digest, roundId);
  expect(results.initiator).toMatchObject({ status: 'aborted', reason: 'bad-proof' });
  expect(results.responder).toMatchObject({ status: 'aborted', reason: 'peer-abort', peerReason: 'bad-proof' });
  // Each side's store, as the daemon's finalize writes it: transcript rows, the aborted row, its leaf, a signed head.
  for (const role of ['initiator', 'responder'] as const) {
    const id = role === 'initiator' ? 'lab-a' : 'lab-b';
    const store = Store.open(join(dirs[id], 'venn.db'), { now: () => 1_950_000_000_000 });
    try {
      const row = store.createRound({ roundId, peerId: role === 'initiator' ? 'lab-b' : 'lab-a', role, origin: 'ad-hoc', slot: null, mode: 'intersection' });
      store.markRunning(row.row, role === 'initiator' ? 4 : 5);
      store.appendTranscript(row.row, records[role]);
      const result = results[role];
      const reason = result.status === 'aborted' ? result.peerReason ?? result.reason : 'unreachable';
      // audit.md §3: the attempt hash and the counts over what this side recorded.
      const peer = role === 'initiator' ? 'responder' : 'initiator';
      const mine = records[role].filter((m) => m.direction === 'sent').map((m) => m.message);
      const theirs = records[role].filter((m) => m.direction === 'received').map((m) => m.message);
      const { attemptHash, ...accounts } = attemptAccounts({ [role]: { frames: mine }, [peer]: { frames: theirs } } as Record<Role, { frames: Uint8Array[] }>);
      store.finishRound(row.row, {
        status: 'aborted', reason, detail: 'fixture', transcriptHash: attemptHash,
        logLeaf: (finished) => encodeRoundRecord({
          roundId, attempt: finished.attempt, rosterDigest: digest, slot: null, initiatorId: 'lab-a', responderId: 'lab-b', status: 'aborted', reason,
          transcriptHash: attemptHash, initiatorClaim: null, responderClaim: null, timestamp: 1_950_000_000_000,
          ...accounts, endedBy: result.status === 'aborted' && result.peerReason !== undefined ? peer : role,
        }),
      });
      const head = signTreeHead(store.log.treeHead(1_950_000_000_001), id, keys[role].secretKey);
      store.saveTreeHead({ treeSize: head.size, root: head.root, timestamp: head.timestamp, signature: head.signature });
    } finally {
      store.close();
    }
  }
}, 60_000);

describe('a round with one wrong evaluation, exported through the CLI', () => {
  for (const id of ['lab-a', 'lab-b'] as const) {
    it(`the bundle ${id} exports names lab-b at fault for its proof`, async () => {
      const out = file(`${id}.bundle`);
      const exported = await venn(['audit', 'export', '--dir', dirs[id], '--round', roundIdHex.slice(0, 10), '--out', out]);
      expect(exported).toMatchObject({ code: 0, stderr: '' });
      expect(exported.stdout).toContain('(aborted, bad-proof)');
      const verified = await venn(['audit', 'verify', out, '--roster', rosterPath]);
      expect(verified.code).toBe(1);
      expect(verified.stderr).toMatch(/^venn audit verify: invalid: check "proof-responder" failed; party at fault: responder \(lab-b\): lab-b's EVALUATED chunk 0 is not its committed key applied to lab-a's BLINDED chunk 0 .*\[bad-proof\]\n$/);
      expect(verified.stdout).toMatch(/^PASS proof-initiator/m);
      expect(verified.stdout).toMatch(/^FAIL proof-responder/m);
      const report = JSON.parse((await venn(['audit', 'verify', out, '--roster', rosterPath, '--json'])).stdout) as { valid: boolean; failure: { name: string; party: string; member: string }; summary: { aborts: Record<string, string | null> } };
      expect(report).toMatchObject({ valid: false, failure: { name: 'proof-responder', party: 'responder', member: 'lab-b' }, summary: { aborts: { initiator: 'bad-proof', responder: null } } });
    });
  }

  it('the two logs cross-check: one aborted round in both, consistent heads', async () => {
    for (const id of ['lab-a', 'lab-b'] as const) expect((await venn(['audit', 'export-log', '--dir', dirs[id], '--out', file(`${id}.log`)])).code).toBe(0);
    const check = await venn(['audit', 'cross-check', file('lab-a.log'), file('lab-b.log'), '--roster', rosterPath, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ consistent: true, matchedRounds: 1, issues: [], pending: [] });
    // One lab's log twice is no cross-check.
    const same = await venn(['audit', 'cross-check', file('lab-a.log'), file('lab-a.log'), '--roster', rosterPath]);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('[same-log]');
  });

  it('prove prints an inclusion proof that verifies and a consistency proof from the empty log', async () => {
    const inclusion = await venn(['audit', 'prove', '--dir', dirs['lab-a'], '--round', roundIdHex]);
    expect(inclusion.code).toBe(0);
    expect(inclusion.stdout).toMatch(/^inclusion of leaf 0 .* in lab-a's log of size 1: verified\n/);
    const consistency = await venn(['audit', 'prove', '--dir', dirs['lab-a'], '--from', '0', '--to', '1', '--json']);
    expect(consistency.code).toBe(0);
    expect(JSON.parse(consistency.stdout)).toMatchObject({ kind: 'consistency', verified: true, from: { size: 0, head: null }, to: { size: 1 }, proof: [] });
  });
});

describe('junk files and wrong invocations', () => {
  it('a file that is not a bundle fails the bundle check, blaming the exporter', async () => {
    const result = await venn(['audit', 'verify', rosterPath, '--roster', rosterPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^venn audit verify: invalid: check "bundle" failed; party at fault: exporter: the bundle does not decode: .*\[wrong-type\]\n$/);
  });

  const failures: Array<[string, () => string[], RegExp]> = [
    ['a missing bundle', () => ['audit', 'verify', file('nope.bundle'), '--roster', rosterPath], /\[file-unavailable\]/],
    ['a bundle larger than any valid one', () => {
      // A sparse file one byte over the limit, refused from its size before it is read.
      truncateSync(file('huge.bundle'), MAX_BUNDLE_BYTES + 1);
      return ['audit', 'verify', file('huge.bundle'), '--roster', rosterPath];
    }, /\[file-too-large\]/],
    ['a roster that is not JSON', () => ['audit', 'verify', file('lab-a.bundle'), '--roster', file('lab-a.bundle')], /\[roster-not-json\]/],
    ['a bundle given as a log', () => ['audit', 'cross-check', file('lab-a.bundle'), file('lab-b.log'), '--roster', rosterPath], /\[wrong-format\]/],
    ['an empty log', () => ['audit', 'cross-check', file('empty.log'), file('lab-b.log'), '--roster', rosterPath], /\[empty\]/],
    ['a truncated log', () => {
      const bytes = readFileSync(file('lab-b.log'));
      writeFileSync(file('short.log'), bytes.subarray(0, bytes.length - 7));
      return ['audit', 'cross-check', file('lab-a.log'), file('short.log'), '--roster', rosterPath];
    }, /\[truncated\]/],
    ['a round this node never ran', () => ['audit', 'export', '--dir', dirs['lab-a'], '--round', 'ffffffffffff', '--out', file('x.bundle')], /\[unknown-round\]/],
    ['a head from an empty log', () => ['audit', 'head', '--dir', dirs['lab-c']], /\[no-tree-head\]/],
  ];
  it.each(failures)('%s: exit 1 with one typed line', async (_, args, pattern) => {
    writeFileSync(file('huge.bundle'), '');
    writeFileSync(file('empty.log'), '');
    const result = await venn(args());
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  });

  const usage: Array<[string, string[]]> = [
    ['no subcommand', ['audit']],
    ['an unknown subcommand', ['audit', 'frobnicate']],
    ['verify without FILE', ['audit', 'verify', '--roster', rosterPath]],
    ['prove without --round or --from', ['audit', 'prove', '--dir', dirs['lab-a']]],
    ['prove with both --round and --from', ['audit', 'prove', '--dir', dirs['lab-a'], '--round', 'abcdabcd', '--from', '0']],
    ['prove --from after --to', ['audit', 'prove', '--dir', dirs['lab-a'], '--from', '2', '--to', '1']],
    ['export without --out', ['audit', 'export', '--dir', dirs['lab-a'], '--round', 'abcdabcd']],
    ['cross-check with one log', ['audit', 'cross-check', file('lab-a.log'), '--roster', rosterPath]],
  ];
  it.each(usage)('usage error for %s: exit 2', async (_, args) => {
    const result = await venn(args);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatch(/usage|expected/);
  });

  it('venn audit --help lists the subcommands', async () => {
    const result = await venn(['audit', '--help']);
    expect(result.code).toBe(0);
    for (const name of ['export', 'verify', 'head', 'prove', 'export-log', 'cross-check']) expect(result.stdout).toContain(`  ${name} `);
  });
});
