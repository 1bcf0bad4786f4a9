/**
 * The demo's per-lab report and its check against the planted ground truth: what each lab's
 * rounds found (venn matches, venn rounds) compared with what venn synth planted.
 */
import type { LabelField } from './config.js';
import type { ExpectedMatch, GroundTruth, SynthLabels } from './synth.js';

/** A row of `venn matches --format json`. */
export interface MatchView {
  readonly kind: string;
  readonly accountRef: string | null;
  readonly peers: readonly string[];
  readonly peerLabels: Readonly<Record<string, SynthLabels>>;
}

/** A row as `venn matches --format json` prints it: label fields named as the spec names them. */
export interface MatchJson {
  readonly kind: string;
  readonly accountRef: string | null;
  readonly peers: readonly string[];
  readonly peerLabels: Readonly<Record<string, { category?: string; first_seen?: string; reason?: string }>>;
}

/** The JSON row in the ground truth's terms (synth's `firstSeen`). */
export function matchView(row: MatchJson): MatchView {
  const peerLabels: Record<string, SynthLabels> = {};
  for (const [peer, { first_seen: firstSeen, ...rest }] of Object.entries(row.peerLabels)) {
    peerLabels[peer] = { ...rest, ...(firstSeen === undefined ? {} : { firstSeen }) };
  }
  return { kind: row.kind, accountRef: row.accountRef, peers: row.peers, peerLabels };
}

/** A row of `venn rounds --json`. */
export interface RoundView {
  readonly roundId: string;
  readonly peer: string;
  readonly role: string;
  readonly origin: string;
  readonly status: string;
  readonly reason: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly localSetSize: number | null;
  readonly peerSetSize: number | null;
  readonly intersectionSize: number | null;
  readonly transcriptHash: string | null;
  /** node.md §2: what the attempt cost this node (absent in rows of older Venn versions). */
  readonly durationMs?: number | null;
  readonly elementsBlinded?: number | null;
  readonly elementsEvaluated?: number | null;
  readonly workerCpuMs?: number | null;
  /** A round of a key epoch (node.md §10.4). */
  readonly epoch?: {
    readonly epochId: string;
    readonly index: number;
    readonly kind: 'start' | 'fill' | 'incremental';
    readonly additions: number | null;
    readonly removals: number | null;
    readonly peerAdditions: number | null;
    readonly peerRemovals: number | null;
    readonly newMatches: number | null;
    readonly endedMatches: number | null;
  };
}

export interface LabCheck {
  readonly lab: string;
  readonly expected: number;
  readonly found: number;
  /** Planted matches the rounds did not find (kind:account). */
  readonly missing: readonly string[];
  /** Matches found that were not planted. */
  readonly unexpected: readonly string[];
  /** Found with another set of peers than planted. */
  readonly wrongPeers: readonly string[];
  /** Peer labels that differ from what the peer holds under the agreed label fields. */
  readonly wrongLabels: readonly string[];
  readonly ok: boolean;
}

const FIELD_KEYS: Readonly<Record<LabelField, keyof SynthLabels>> = { category: 'category', first_seen: 'firstSeen', reason: 'reason' };

/** Label fields a pair exchanges: those both labs' policies share (protocol SPEC §5.7). */
export function agreedFields(shareLabels: Readonly<Record<string, readonly LabelField[]>>, a: string, b: string): LabelField[] {
  const theirs = shareLabels[b] ?? [];
  return (shareLabels[a] ?? []).filter((field) => theirs.includes(field));
}

function restrict(labels: SynthLabels | undefined, fields: readonly LabelField[]): SynthLabels | undefined {
  if (labels === undefined) return undefined;
  const out: SynthLabels = {};
  for (const field of fields) {
    const key = FIELD_KEYS[field];
    if (labels[key] !== undefined) out[key] = labels[key];
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function sameLabels(a: SynthLabels | undefined, b: SynthLabels | undefined): boolean {
  return (a?.category ?? null) === (b?.category ?? null) && (a?.firstSeen ?? null) === (b?.firstSeen ?? null) && (a?.reason ?? null) === (b?.reason ?? null);
}

/** Compares one lab's matches with the ground truth: every planted match found, nothing else, labels as agreed. */
export function checkLab(lab: string, matches: readonly MatchView[], truth: GroundTruth, shareLabels: Readonly<Record<string, readonly LabelField[]>>): LabCheck {
  const planted = new Map<string, ExpectedMatch>((truth.expected[lab]?.matches ?? []).map((m) => [`${m.kind}:${m.account}`, m]));
  const seen = new Set<string>();
  const unexpected: string[] = [];
  const wrongPeers: string[] = [];
  const wrongLabels: string[] = [];
  for (const row of matches) {
    const key = `${row.kind}:${row.accountRef ?? ''}`;
    seen.add(key);
    const expected = planted.get(key);
    if (expected === undefined) {
      unexpected.push(key);
      continue;
    }
    if ([...row.peers].sort().join(',') !== [...expected.peers].sort().join(',')) wrongPeers.push(`${key} (found with ${row.peers.join(',')}, planted with ${expected.peers.join(',')})`);
    for (const peer of expected.peers) {
      const want = restrict(expected.peerLabels[peer], agreedFields(shareLabels, lab, peer));
      if (!sameLabels(row.peerLabels[peer], want)) wrongLabels.push(`${key} from ${peer}`);
    }
  }
  const missing = [...planted.keys()].filter((key) => !seen.has(key));
  return {
    lab, expected: planted.size, found: matches.length, missing, unexpected, wrongPeers, wrongLabels,
    ok: missing.length === 0 && unexpected.length === 0 && wrongPeers.length === 0 && wrongLabels.length === 0,
  };
}

const n = (value: number): string => value.toLocaleString('en-US');

/** Matches by kind: how many each peer holds, how many every peer holds (the ring), the total. */
export function matchesByKind(matches: readonly MatchView[], peers: readonly string[]): { headers: string[]; rows: string[][] } {
  const kinds = [...new Set(matches.map((m) => m.kind))].sort();
  const every = peers.length > 1 ? ['every peer'] : [];
  const rows = kinds.map((kind) => {
    const ofKind = matches.filter((m) => m.kind === kind);
    return [kind, ...peers.map((peer) => n(ofKind.filter((m) => m.peers.includes(peer)).length)), ...(every.length > 0 ? [n(ofKind.filter((m) => peers.every((p) => m.peers.includes(p))).length)] : []), n(ofKind.length)];
  });
  const totals = ['all kinds', ...peers.map((peer) => n(matches.filter((m) => m.peers.includes(peer)).length)), ...(every.length > 0 ? [n(matches.filter((m) => peers.every((p) => m.peers.includes(p))).length)] : []), n(matches.length)];
  return { headers: ['KIND', ...peers.map((peer) => `HELD BY ${peer}`), ...every.map((e) => e.toUpperCase()), 'MATCHES'], rows: [...rows, totals] };
}

/** One line per peer: which label fields it shared and the commonest categories. */
export function labelLines(lab: string, matches: readonly MatchView[], peers: readonly string[], shareLabels: Readonly<Record<string, readonly LabelField[]>>): string[] {
  return peers.map((peer) => {
    const fields = agreedFields(shareLabels, lab, peer);
    if (fields.length === 0) return `${peer}: no label fields agreed (${lab} shares ${describeFields(shareLabels[lab])}, ${peer} shares ${describeFields(shareLabels[peer])})`;
    const labelled = matches.filter((m) => m.peerLabels[peer] !== undefined);
    const categories = new Map<string, number>();
    for (const m of labelled) {
      const category = m.peerLabels[peer]?.category;
      if (category !== undefined) categories.set(category, (categories.get(category) ?? 0) + 1);
    }
    const top = [...categories.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3).map(([c, k]) => `${c} ×${k}`);
    const example = labelled.find((m) => m.peerLabels[peer]?.reason !== undefined)?.peerLabels[peer]?.reason;
    return `${peer}: ${fields.join(', ')} on ${n(labelled.length)} of ${n(matches.filter((m) => m.peers.includes(peer)).length)} matches${top.length > 0 ? `; ${top.join(', ')}` : ''}${example === undefined ? '' : `; e.g. reason "${example}"`}`;
  });
}

function describeFields(fields: readonly LabelField[] | undefined): string {
  return fields === undefined || fields.length === 0 ? 'none' : fields.join(', ');
}

/** Seconds between a round's start and end, from `venn rounds --json`. */
export function roundSeconds(round: RoundView): number | null {
  if (round.startedAt === null || round.finishedAt === null) return null;
  return (Date.parse(round.finishedAt) - Date.parse(round.startedAt)) / 1000;
}

export function roundLines(rounds: readonly RoundView[]): string[][] {
  return rounds.map((round) => {
    const seconds = roundSeconds(round);
    return [
      round.peer, round.role, round.status + (round.reason === null ? '' : ` (${round.reason})`),
      `${n(round.localSetSize ?? 0)} / ${n(round.peerSetSize ?? 0)}`, round.intersectionSize === null ? '-' : n(round.intersectionSize),
      seconds === null ? '-' : `${seconds.toFixed(1)} s`, (round.transcriptHash ?? '').slice(0, 16),
    ];
  });
}

export const ROUND_HEADERS = ['PEER', 'ROLE', 'STATUS', 'SET SIZES (OURS / PEER)', 'INTERSECTION', 'TIME', 'TRANSCRIPT'];

/** One epoch round of a pair, as each side recorded it (`venn rounds --json`). */
export interface EpochPairRound {
  readonly pair: string;
  /** the pair's two labs, in the pair's order, and each one's row of the round */
  readonly labs: readonly [string, string];
  readonly rows: readonly [RoundView, RoundView];
}

const sum = (values: ReadonlyArray<number | null | undefined>): number | null => (values.some((v) => v === null || v === undefined) ? null : values.reduce<number>((acc, v) => acc + (v ?? 0), 0));

/** Elements both sides blinded and evaluated in the round. */
export function pairElements(round: EpochPairRound): number | null {
  return sum(round.rows.flatMap((row) => [row.elementsBlinded, row.elementsEvaluated]));
}

/** CPU time (ms) of both sides' round workers; null if either side could not measure it. */
export function pairCpuMs(round: EpochPairRound): number | null {
  return sum(round.rows.map((row) => row.workerCpuMs));
}

/** The longer of the two sides' durations (ms). */
export function pairDurationMs(round: EpochPairRound): number | null {
  const durations = round.rows.map((row) => row.durationMs);
  return durations.some((d) => d === null || d === undefined) ? null : Math.max(...(durations as number[]));
}

/** "840 ms", "2.4 s". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A part of a whole as a percentage with two significant digits: "0.052 %", "3.1 %". */
export function percentOf(part: number, whole: number): string {
  if (whole <= 0) return '-';
  const percent = (part / whole) * 100;
  return `${percent >= 10 ? percent.toFixed(0) : Number(percent.toPrecision(2)).toString()} %`;
}

/** The demo's table of key-epoch rounds: kind, what each side carried, new matches and what the round cost. */
export function epochRoundLines(rounds: readonly EpochPairRound[]): string[][] {
  return rounds.map((round) => {
    const [a, b] = round.rows;
    const carried = round.rows.map((row) => `+${n(row.epoch?.additions ?? 0)}${(row.epoch?.removals ?? 0) > 0 ? ` -${n(row.epoch?.removals ?? 0)}` : ''}`).join(' / ');
    const fresh = a.epoch?.newMatches === b.epoch?.newMatches ? n(a.epoch?.newMatches ?? 0) : `${n(a.epoch?.newMatches ?? 0)} / ${n(b.epoch?.newMatches ?? 0)}`;
    const elements = pairElements(round);
    return [
      round.pair, `${a.epoch?.kind ?? '?'} #${a.epoch?.index ?? '?'}`, carried, fresh, formatDuration(pairDurationMs(round)),
      elements === null ? '-' : n(elements), formatDuration(pairCpuMs(round)),
    ];
  });
}

export const EPOCH_ROUND_HEADERS = ['PAIR', 'ROUND', 'CARRIED (EACH LAB)', 'NEW MATCHES', 'DURATION', 'BLINDED+EVALUATED', 'WORKER CPU'];
