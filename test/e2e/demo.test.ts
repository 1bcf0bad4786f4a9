/** `venn demo` as a newcomer runs it, then every lab's result checked against the planted ground truth with the CLI. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byAccount, cliPath, ensureCli, matchesOf, roundsOf, venn, type CliResultLike } from './helpers.js';

/** Labels as `venn matches` names them (the spec's field names). */
interface Labels { category?: string; first_seen?: string; reason?: string }
/** Labels as the ground truth of `venn synth` holds them. */
interface TruthLabels { category?: string; firstSeen?: string; reason?: string }
interface GroundTruth {
  labs: string[];
  groups: Array<{ name: string; labs: string[]; size: number }>;
  expected: Record<string, { identifiers: number; matches: Array<{ kind: string; account: string; peers: string[]; peerLabels: Record<string, TruthLabels> }> }>;
}

/** The accounts each lab filed the key-epoch step's new flag under (venn demo). */
const NEW_FLAG: Record<string, string> = { 'lab-a': 'acct_new_flag_lab-a', 'lab-b': 'acct_new_flag_lab-b' };

const root = mkdtempSync(join(tmpdir(), 'venn-e2e-demo-'));
const dir = join(root, 'demo');
let demo: CliResultLike;
let truth: GroundTruth;

beforeAll(async () => {
  ensureCli();
  demo = await venn(['demo', '--labs', '3', '--size', '800', '--seed', '11', '--overlap', '0.15', '--dir', dir]);
  truth = JSON.parse(readFileSync(join(dir, 'data', 'ground-truth.json'), 'utf8')) as GroundTruth;
}, 240_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FIELDS = { category: 'category', first_seen: 'firstSeen', reason: 'reason' } as const;

function shareLabels(lab: string): Array<keyof typeof FIELDS> {
  return (JSON.parse(readFileSync(join(dir, lab, 'venn.config.json'), 'utf8')) as { policy: { shareLabels: Array<keyof typeof FIELDS> } }).policy.shareLabels;
}

describe('venn demo', () => {
  it('exits 0 after walking through every step and reporting every check passed', () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    for (const step of ['1. Synthetic exports', '2. One node per lab', '3. Ingest', '4. Start 3 daemons', '5. Scheduled slot', '6. What each lab learned', '7. Audit', '8. Key epochs', '9. Shut down']) {
      expect(demo.stdout).toContain(step);
    }
    expect(demo.stdout).toMatch(/lab-a ⇄ lab-b: completed: intersection \d+/);
    expect(demo.stdout).toMatch(/✓ verify: 19 checks passed \(bundle, round-record, roster, tree-head, log-inclusion, messages-initiator, messages-responder, policy, slot, epoch, epoch-chain, transcript, proof-initiator, proof-responder, finish-initiator, finish-responder, intersection-size, record-status, completed\)/);
    expect(demo.stdout).toMatch(/✓ the same bundle with one bit flipped is refused \(exit 1\): check "[a-z-]+" failed/);
    expect(demo.stdout).toMatch(/✓ cross-check: 1 round in both logs/);
    expect(demo.stdout).toMatch(/✓ epoch start: every pair's round #0 completed on both sides with the intersection of its plain round \(lab-a ⇄ lab-b (\d+)\/\1, lab-a ⇄ lab-c (\d+)\/\2, lab-b ⇄ lab-c (\d+)\/\3\)/);
    expect(demo.stdout).toMatch(/✓ epoch incremental round surfaces a new flag: lab-a's acct_new_flag_lab-a matched lab-b and lab-b's acct_new_flag_lab-b matched lab-a in round [0-9a-f]{12}… \(#1, incremental\); it cost (worker CPU )?[0-9.]+ m?s, [0-9.]+ % of the epoch start's [0-9.]+ m?s, and 2 of its [0-9,]+ elements blinded and evaluated \([0-9.]+ %\)/);
    expect(demo.stdout).not.toContain('✗');
    expect(demo.stdout).toMatch(/Done in [0-9.]+ s: every check passed/);
  });

  it('prints each step\'s own duration, and every pair\'s progress reaches 100%', () => {
    const durations = [...demo.stdout.matchAll(/^ {2}\(step (\d) took ([0-9.]+) s\)$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(durations.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const total = Number(/Done in ([0-9.]+) s/.exec(demo.stdout)?.[1]);
    const sum = durations.reduce((acc, [, took]) => acc + took, 0);
    // Durations, not time since start: they add up to (about) the total, and none is the total.
    expect(sum).toBeLessThanOrEqual(total + 0.1 * durations.length);
    expect(Math.max(...durations.map(([, took]) => took))).toBeLessThan(total);
    // Step headers no longer carry the time since start.
    expect(demo.stdout).not.toMatch(/^\d\. .*\[[0-9.]+ s\]$/m);
    for (const pair of ['lab-a ⇄ lab-b', 'lab-a ⇄ lab-c', 'lab-b ⇄ lab-c']) {
      expect(demo.stdout, pair).toContain(`${pair}: 100% of the elements blinded and evaluated`);
    }
  });

  it('every lab found exactly the planted matches, with the peers that hold them, and the new flag of the key-epoch step', async () => {
    expect(truth.labs).toEqual(['lab-a', 'lab-b', 'lab-c']);
    for (const lab of truth.labs) {
      const planted = new Map(truth.expected[lab]!.matches.map((m) => [`${m.kind}:${m.account}`, [...m.peers].sort().join(',')]));
      expect(planted.size).toBeGreaterThan(100);
      // Step 8: lab-b flagged an identifier, then lab-a flagged it too; lab-c never held it.
      if (lab !== 'lab-c') planted.set(`email:${NEW_FLAG[lab]}`, lab === 'lab-a' ? 'lab-b' : 'lab-a');
      expect(byAccount(await matchesOf(join(dir, lab)))).toEqual(planted);
    }
  });

  it('peer labels arrived for the fields both labs share, and no others', async () => {
    for (const lab of truth.labs) {
      const planted = new Map(truth.expected[lab]!.matches.map((m) => [`${m.kind}:${m.account}`, m]));
      let labelled = 0;
      for (const row of await matchesOf(join(dir, lab))) {
        if (row.accountRef === NEW_FLAG[lab]) {
          // Both flag files carry category and reason; lab-a and lab-b agreed on category and first_seen.
          expect(row.peerLabels).toEqual({ [lab === 'lab-a' ? 'lab-b' : 'lab-a']: { category: 'distillation' } });
          continue;
        }
        const match = planted.get(`${row.kind}:${row.accountRef ?? ''}`)!;
        for (const peer of match.peers) {
          const agreed = shareLabels(lab).filter((field) => shareLabels(peer).includes(field));
          const want: Labels = {};
          for (const field of agreed) {
            const value = match.peerLabels[peer]?.[FIELDS[field]];
            if (value !== undefined) want[field] = value;
          }
          expect(row.peerLabels[peer] ?? {}, `${lab} ${row.accountRef} from ${peer}`).toEqual(want);
          if (Object.keys(want).length > 0) labelled++;
        }
      }
      expect(labelled).toBeGreaterThan(0);
    }
  });

  it('each pair ran one plain round, in the same scheduled slot, and both sides hold the same transcript hash', async () => {
    const all = new Map<string, Awaited<ReturnType<typeof roundsOf>>>();
    for (const lab of truth.labs) all.set(lab, (await roundsOf(join(dir, lab))).filter((round) => round.epoch === undefined));
    const slots = new Set<string | null>();
    for (const [lab, rounds] of all) {
      expect(rounds.map((r) => [r.peer, r.status, r.origin, r.attempt]).sort()).toEqual(truth.labs.filter((l) => l !== lab).map((peer) => [peer, 'completed', 'scheduled', 1]));
      for (const round of rounds) {
        slots.add(round.slot);
        const mirror = all.get(round.peer)?.find((r) => r.peer === lab);
        expect(mirror).toMatchObject({ roundId: round.roundId, transcriptHash: round.transcriptHash, intersectionSize: round.intersectionSize, role: round.role === 'initiator' ? 'responder' : 'initiator' });
        expect(round.intersectionSize).toBe(truth.expected[lab]!.matches.filter((m) => m.peers.includes(round.peer)).length);
      }
    }
    expect(slots.size).toBe(1);
  });

  it('then each pair ran an epoch start, and lab-a\'s pairs an incremental round that cost only the new flag', async () => {
    const all = new Map<string, Awaited<ReturnType<typeof roundsOf>>>();
    for (const lab of truth.labs) all.set(lab, (await roundsOf(join(dir, lab))).filter((round) => round.epoch !== undefined));
    for (const [lab, rounds] of all) {
      const expected = truth.labs.filter((l) => l !== lab).flatMap((peer) => [[peer, 0, 'start'], ...(lab === 'lab-a' || peer === 'lab-a' ? [[peer, 1, 'incremental']] : [])]);
      expect(rounds.map((r) => [r.peer, r.epoch!.index, r.epoch!.kind]).sort(), lab).toEqual(expected.sort());
      for (const round of rounds) {
        expect(round.status).toBe('completed');
        const mirror = all.get(round.peer)!.find((r) => r.peer === lab && r.roundId === round.roundId);
        expect(mirror).toMatchObject({ transcriptHash: round.transcriptHash, intersectionSize: round.intersectionSize });
        expect(round.durationMs).toBe(Date.parse(round.finishedAt!) - Date.parse(round.startedAt!));
        if (round.epoch!.kind === 'start') {
          // The start blinds the own whole set and evaluates the peer's.
          expect([round.elementsBlinded, round.elementsEvaluated]).toEqual([round.epoch!.additions, round.epoch!.peerAdditions]);
          expect(round.elementsBlinded).toBeGreaterThan(700);
        } else {
          // The incremental round: lab-a's one addition, blinded by lab-a and evaluated by its peer.
          const [blinded, evaluated] = lab === 'lab-a' ? [1, 0] : [0, 1];
          expect([round.elementsBlinded, round.elementsEvaluated, round.epoch!.newMatches]).toEqual([blinded, evaluated, round.peer === 'lab-c' || lab === 'lab-c' ? 0 : 1]);
          const start = rounds.find((r) => r.peer === round.peer && r.epoch!.index === 0)!;
          if (round.workerCpuMs !== null && start.workerCpuMs !== null) expect(round.workerCpuMs).toBeLessThan(start.workerCpuMs);
        }
      }
    }
  });

  it('left no daemon running', () => {
    const pids = [...demo.stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }) as Error);
  });

  it('refuses bad options in one line with exit code 2', async () => {
    const result = await venn(['demo', '--labs', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('venn demo: "--labs" expected an integer between 2 and 8, got "1" [usage]');
    expect((await venn(['demo', '--help'])).stdout).toMatch(/^usage: venn demo \[options\]/);
  });
});

/**
 * The auditor's side after the demo: bundles of every round from every lab and each lab's
 * exported log, checked with nothing but those files and the roster.
 */
describe('auditing the demo federation from files alone', () => {
  const auditor = join(root, 'auditor');
  const bundles: string[] = [];
  /** Bundles of the key-epoch step's rounds, which ran under the roster with key epochs. */
  const epochBundles: Array<{ file: string; lab: string; peer: string; index: number }> = [];

  beforeAll(async () => {
    mkdirSync(auditor);
    copyFileSync(join(dir, 'roster.json'), join(auditor, 'roster.json'));
    copyFileSync(join(dir, 'roster-epochs.json'), join(auditor, 'roster-epochs.json'));
    for (const lab of truth.labs) {
      for (const round of await roundsOf(join(dir, lab))) {
        const out = round.epoch === undefined ? join(auditor, `${lab}-${round.peer}.bundle`) : join(auditor, `${lab}-${round.peer}-epoch-${round.epoch.index}.bundle`);
        if (round.epoch !== undefined) {
          epochBundles.push({ file: out, lab, peer: round.peer, index: round.epoch.index });
          const result = await venn(['audit', 'export', '--dir', join(dir, lab), '--round', round.roundId, '--out', out]);
          expect(result.code, result.stderr).toBe(0);
          continue;
        }
        const result = await venn(['audit', 'export', '--dir', join(dir, lab), '--round', round.roundId, '--out', out]);
        expect(result.code, result.stderr).toBe(0);
        bundles.push(out);
      }
      const log = await venn(['audit', 'export-log', '--dir', join(dir, lab), '--out', join(auditor, `${lab}.log`)]);
      expect(log.code, log.stderr).toBe(0);
    }
  }, 60_000);

  it('every lab\'s bundle of every round verifies under the roster', async () => {
    expect(bundles).toHaveLength(6);
    for (const bundle of bundles) {
      const result = await venn(['audit', 'verify', '--roster', join(auditor, 'roster.json'), '--json', bundle]);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { valid: boolean; summary: { status: string; claims: { initiator: number; responder: number }; recomputed: { initiator: number; responder: number } } };
      expect(report).toMatchObject({ valid: true, summary: { status: 'completed' } });
      expect(report.summary.recomputed).toEqual(report.summary.claims);
    }
  });

  it('every epoch round\'s bundle verifies under the roster with key epochs, each incremental round against its chain', async () => {
    expect(epochBundles).toHaveLength(10);
    for (const bundle of epochBundles) {
      const previous = bundle.index === 0 ? [] : ['--previous', epochBundles.find((b) => b.lab === bundle.lab && b.peer === bundle.peer && b.index === 0)!.file];
      const result = await venn(['audit', 'verify', '--roster', join(auditor, 'roster-epochs.json'), '--json', bundle.file, ...previous]);
      expect(result.code, `${bundle.file}: ${result.stdout}${result.stderr}`).toBe(0);
      const report = JSON.parse(result.stdout) as { valid: boolean; checks: Array<{ name: string; status: string }> };
      expect(report.valid).toBe(true);
      if (bundle.index > 0) expect(report.checks.find((check) => check.name === 'epoch-chain')?.status).toBe('pass');
    }
  });

  it('every pair of logs cross-checks: the same rounds, consistent heads', async () => {
    // The plain round, the epoch start and, for lab-a's pairs, the incremental round.
    for (const [a, b, rounds] of [['lab-a', 'lab-b', 3], ['lab-a', 'lab-c', 3], ['lab-b', 'lab-c', 2]] as const) {
      const result = await venn(['audit', 'cross-check', '--roster', join(auditor, 'roster-epochs.json'), '--json', join(auditor, `${a}.log`), join(auditor, `${b}.log`)]);
      expect(result.code, result.stdout).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ consistent: true, matchedRounds: rounds, issues: [] });
    }
  });

  it('a mutated bundle fails, naming the check; so does a bundle read under another roster', async () => {
    const original = readFileSync(bundles[0]!);
    const cases: Array<[string, Buffer]> = [
      ['a bit flipped in the frames', Buffer.from(original.map((byte, i) => (i === Math.floor(original.length / 2) ? byte ^ 0x01 : byte)))],
      ['truncated', original.subarray(0, original.length - 40)],
    ];
    for (const [what, bytes] of cases) {
      const path = join(auditor, 'mutated.bundle');
      writeFileSync(path, bytes);
      const result = await venn(['audit', 'verify', '--roster', join(auditor, 'roster.json'), path]);
      expect(result.code, what).toBe(1);
      expect(result.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(result.stderr, what).toMatch(/^venn audit verify: invalid: check "[a-z-]+" failed; party at fault: /);
    }
    // The same federation under a roster whose lab-a key was replaced: not the roster the round ran under.
    const roster = JSON.parse(readFileSync(join(auditor, 'roster.json'), 'utf8')) as { members: Array<{ id: string; identityKey: string }> };
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const other = Buffer.from(jwk.x!, 'base64url').toString('hex');
    writeFileSync(join(auditor, 'forged-roster.json'), JSON.stringify({ ...roster, members: roster.members.map((m) => (m.id === 'lab-a' ? { ...m, identityKey: other } : m)) }));
    const forged = await venn(['audit', 'verify', '--roster', join(auditor, 'forged-roster.json'), bundles[0]!]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/check "roster" failed; party at fault: undetermined: the round ran under roster [0-9a-f]{64}, the given roster has digest [0-9a-f]{64}/);
    expect(readdirSync(auditor).filter((name) => name.endsWith('.bundle'))).toHaveLength(17);
  });
});

describe('venn demo --keep', () => {
  it('ends by printing each lab\'s analyst console, serves it until Ctrl-C, then stops the daemons', async () => {
    const child = spawn(process.execPath, [cliPath, 'demo', '--labs', '2', '--size', '300', '--seed', '5', '--keep'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const consoleLine = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /lab-a: (http:\/\/127\.0\.0\.1:\d+\/console\/) {3}\(admin token: (\S+)\)/.exec(stdout);
        if (found !== null && stdout.includes('Ctrl-C stops the daemons')) resolve(found);
      });
      void exited.then((code) => reject(new Error(`demo exited (${code}) before printing the console: ${stdout}${stderr}`)));
    });
    try {
      const [, url, tokenPath] = consoleLine;
      expect(stdout).toMatch(/✓ cross-check/);
      expect(stdout).not.toContain('✗');
      expect(stdout).not.toContain('Shut down');
      const login = await fetch(`${url}login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('Admin token');
      const token = readFileSync(tokenPath!, 'utf8').trim();
      const queue = await fetch(`${url}api/queue`, { headers: { authorization: `Bearer ${token}` } });
      expect(queue.status).toBe(200);
      expect(((await queue.json()) as { total: number }).total).toBeGreaterThan(10);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/✓ epoch incremental round surfaces a new flag/);
    expect(stdout).toMatch(/10\. Shut down/);
    expect(stdout).toMatch(/Done in [0-9.]+ s: every check passed/);
    const pids = [...stdout.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }) as Error);
    const root = /working in (\S+)/.exec(stdout)![1]!;
    rmSync(root, { recursive: true, force: true });
  }, 240_000);
});
