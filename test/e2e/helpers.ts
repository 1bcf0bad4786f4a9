/**
 * The end-to-end suite's view of Venn: the built `venn` CLI run as child processes, in temporary
 * directories. Daemon handling is packages/node's own test helper, shared rather than copied.
 */
import { expect } from 'vitest';
import { cliPath, ensureBuilt, repoRoot } from '../../packages/node/test/helpers/build.js';
import { venn, type CliResult } from '../../packages/node/test/helpers/cli.js';

export { cliPath, repoRoot, venn };
export type CliResultLike = CliResult;
export { Federation, NodeProcess, freePort } from '../../packages/node/test/helpers/federation.js';
export type { LogLine } from '../../packages/node/test/helpers/federation.js';

/** The suite's global setup (test/global-setup.ts) builds and bundles the CLI once per run. */
export function ensureCli(): void {
  ensureBuilt();
}

/** Runs a venn command that must succeed and parses its JSON output. */
export async function vennJson<T>(args: readonly string[]): Promise<T> {
  const result = await venn(args);
  expect(result.stderr, `venn ${args.join(' ')}`).toBe('');
  expect(result.code, `venn ${args.join(' ')}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

export interface MatchRow {
  kind: string;
  accountRef: string | null;
  peers: string[];
  round: string;
  peerLabels: Record<string, { category?: string; first_seen?: string; reason?: string }>;
}

export interface RoundRow {
  roundId: string;
  attempt: number;
  peer: string;
  role: string;
  origin: string;
  slot: string | null;
  status: string;
  reason: string | null;
  detail: string | null;
  localSetSize: number | null;
  peerSetSize: number | null;
  intersectionSize: number | null;
  transcriptHash: string | null;
  /** node.md §2: what the attempt cost this node. */
  durationMs: number | null;
  elementsBlinded: number | null;
  elementsEvaluated: number | null;
  workerCpuMs: number | null;
  /** A round of a key epoch (node.md §10.4). */
  epoch?: { epochId: string; index: number; kind: string; additions: number | null; removals: number | null; peerAdditions: number | null; peerRemovals: number | null; newMatches: number | null; endedMatches: number | null };
}

export const matchesOf = (dir: string): Promise<MatchRow[]> => vennJson<MatchRow[]>(['matches', '--dir', dir, '--format', 'json']);
export const roundsOf = (dir: string): Promise<RoundRow[]> => vennJson<RoundRow[]>(['rounds', '--dir', dir, '--json']);

/** `kind:account` → sorted peers, the shape ground truth is compared in. */
export function byAccount(rows: readonly MatchRow[]): Map<string, string> {
  return new Map(rows.map((row) => [`${row.kind}:${row.accountRef ?? ''}`, [...row.peers].sort().join(',')]));
}
