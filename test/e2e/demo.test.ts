/** `venn demo` as a newcomer runs it, then every lab's result checked against the planted ground truth with the CLI. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byAccount, ensureCli, matchesOf, roundsOf, venn, type CliResultLike } from './helpers.js';

interface Labels { category?: string; firstSeen?: string; reason?: string }
interface GroundTruth {
  labs: string[];
  groups: Array<{ name: string; labs: string[]; size: number }>;
  expected: Record<string, { identifiers: number; matches: Array<{ kind: string; account: string; peers: string[]; peerLabels: Record<string, Labels> }> }>;
}

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
    for (const step of ['1. Synthetic exports', '2. One node per lab', '3. Ingest', '4. Start 3 daemons', '5. Scheduled slot', '6. What each lab learned', '7. Shut down']) {
      expect(demo.stdout).toContain(step);
    }
    expect(demo.stdout).toMatch(/lab-a ⇄ lab-b: completed: intersection \d+/);
    expect(demo.stdout).not.toContain('✗');
    expect(demo.stdout).toMatch(/Done in [0-9.]+ s: every check passed/);
  });

  it('every lab found exactly the planted matches, with the peers that hold them', async () => {
    expect(truth.labs).toEqual(['lab-a', 'lab-b', 'lab-c']);
    for (const lab of truth.labs) {
      const planted = new Map(truth.expected[lab]!.matches.map((m) => [`${m.kind}:${m.account}`, [...m.peers].sort().join(',')]));
      expect(planted.size).toBeGreaterThan(100);
      expect(byAccount(await matchesOf(join(dir, lab)))).toEqual(planted);
    }
  });

  it('peer labels arrived for the fields both labs share, and no others', async () => {
    for (const lab of truth.labs) {
      const planted = new Map(truth.expected[lab]!.matches.map((m) => [`${m.kind}:${m.account}`, m]));
      let labelled = 0;
      for (const row of await matchesOf(join(dir, lab))) {
        const match = planted.get(`${row.kind}:${row.accountRef ?? ''}`)!;
        for (const peer of match.peers) {
          const agreed = shareLabels(lab).filter((field) => shareLabels(peer).includes(field));
          const want: Labels = {};
          for (const field of agreed) {
            const value = match.peerLabels[peer]?.[FIELDS[field]];
            if (value !== undefined) want[FIELDS[field]] = value;
          }
          expect(row.peerLabels[peer] ?? {}, `${lab} ${row.accountRef} from ${peer}`).toEqual(want);
          if (Object.keys(want).length > 0) labelled++;
        }
      }
      expect(labelled).toBeGreaterThan(0);
    }
  });

  it('each pair ran once, in the same scheduled slot, and both sides hold the same transcript hash', async () => {
    const all = new Map<string, Awaited<ReturnType<typeof roundsOf>>>();
    for (const lab of truth.labs) all.set(lab, await roundsOf(join(dir, lab)));
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
