/**
 * `npm run bench:epoch:core` (protocol level): the CPU of a key epoch's start, of an incremental
 * round after churn, and of a fresh full (plain) round over the same lists, with both parties in
 * this process and their epoch state in maps (scripts/epoch-state.ts). It also checks that the
 * epoch's matches after the incremental round equal the fresh full round's. No store, no sockets,
 * no workers: `npm run bench:epoch` (packages/node/bench/epoch.ts) runs epochs between daemons.
 *
 *   node scripts/dist/epoch-bench.js [--n 10000] [--churn 0.01]
 */
import { createHash } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { ed25519KeyPairFromSeed, ready } from '@venn/crypto';
import { createRound, ownSetFromDigests, type CompletedResult, type EpochRoundInput, type Role, type Round } from '@venn/protocol';
import { MAX_SET_SIZE } from '@venn/wire';
import { MapEpochState } from './epoch-state.js';
import { seededRng } from './seeded-rng.js';
import { lockstep } from './venn-vectors.js';

const RULES = 'venn-identifiers/1';
const digest = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ROSTER = digest('bench/epoch/roster');
const EPOCH_ID = digest('bench/epoch/id');
const IDS = { initiator: 'lab-a', responder: 'lab-b' } as const;
const other = (role: Role): Role => (role === 'initiator' ? 'responder' : 'initiator');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expected a positive number, got ${process.argv[at + 1]}`);
  return value;
}

function round(role: Role, roundId: Uint8Array, digests: readonly Uint8Array[], epoch?: EpochRoundInput): Round {
  return createRound({
    role, roundId, rosterDigest: ROSTER, selfId: IDS[role], peerId: IDS[other(role)], mode: 'intersection',
    policy: { maxPeerSetSize: MAX_SET_SIZE, evaluationAllowance: MAX_SET_SIZE, modes: ['intersection'], labelFields: [], semiHonestCardinality: false, allowIdentifierRulesMismatch: false },
    identifierRules: RULES, ownSet: ownSetFromDigests(digests), rng: seededRng(`bench/epoch/${role}/${hex(roundId)}`),
    signingKey: KEYS[role].secretKey, peerPublicKey: KEYS[other(role)].publicKey, logHead: null, ...(epoch === undefined ? {} : { epoch }),
  });
}

function completed(r: Round): CompletedResult {
  if (r.result?.status !== 'completed') throw new Error(`round did not complete: ${JSON.stringify(r.result && { status: r.result.status, reason: 'reason' in r.result ? r.result.reason : undefined })}`);
  return r.result;
}

/** CPU milliseconds (user + system) of this process while `work` runs. */
function cpu<T>(work: () => T): { value: T; ms: number } {
  const before = process.cpuUsage();
  const value = work();
  const used = process.cpuUsage(before);
  return { value, ms: (used.user + used.system) / 1000 };
}

await ready();
const KEYS = { initiator: ed25519KeyPairFromSeed(digest('bench/epoch/initiator')), responder: ed25519KeyPairFromSeed(digest('bench/epoch/responder')) };
const n = Math.floor(option('n', 10_000));
const churn = option('churn', 0.01);
if (n > MAX_SET_SIZE) throw new Error(`--n expected at most ${MAX_SET_SIZE} (one round's additions), got ${n}`);
console.log(`load average (1 min) at the start: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs`);
console.log(`n = ${n} per side, half shared; churn ${(churn * 100).toFixed(2)}% per side (half additions, half removals)`);

// Lists: the first n/2 of each side shared.
const lists: Record<Role, Uint8Array[]> = {
  initiator: Array.from({ length: n }, (_, i) => digest(i < n / 2 ? `shared/${i}` : `a/${i}`)),
  responder: Array.from({ length: n }, (_, i) => digest(i < n / 2 ? `shared/${i}` : `b/${i}`)),
};
const states: Record<Role, MapEpochState> = { initiator: new MapEpochState(EPOCH_ID, 'bench/epoch/initiator'), responder: new MapEpochState(EPOCH_ID, 'bench/epoch/responder') };

function epochRound(index: number): { ms: number; intersection: number } {
  const roundId = digest(`bench/epoch/round/${index}`);
  const { value: run, ms } = cpu(() => {
    const inputs = (role: Role) => states[role].next(lists[role]);
    const i = inputs('initiator');
    const r = inputs('responder');
    const done = lockstep(round('initiator', roundId, i.additions, i.epoch), round('responder', roundId, r.additions, r.epoch));
    states.initiator.apply(completed(done.initiator));
    states.responder.apply(completed(done.responder));
    return done;
  });
  return { ms, intersection: completed(run.initiator).intersectionSize };
}

const start = epochRound(0);
console.log(`epoch start (round 0, ${n} additions per side): ${start.ms.toFixed(0)} ms CPU, intersection ${start.intersection}`);

// Churn: each side removes some of its elements and adds new ones, a third of them the other side holds.
const changes = Math.max(2, Math.round(n * churn));
for (const role of ['initiator', 'responder'] as const) {
  const removals = Math.floor(changes / 2);
  lists[role] = lists[role].slice(removals);
  for (let i = 0; i < changes - removals; i++) lists[role].push(digest(i % 3 === 0 ? `late-shared/${i}` : `late/${role}/${i}`));
}
const incremental = epochRound(1);
console.log(`incremental round (${changes} changes per side): ${incremental.ms.toFixed(0)} ms CPU, intersection ${incremental.intersection}`);

const fresh = cpu(() => {
  const roundId = digest('bench/epoch/fresh');
  return lockstep(round('initiator', roundId, lists.initiator), round('responder', roundId, lists.responder));
});
const freshResult = completed(fresh.value.initiator);
console.log(`fresh full round over the current lists: ${fresh.ms.toFixed(0)} ms CPU, intersection ${freshResult.intersectionSize}`);

const freshMatches = new Set(Array.from({ length: freshResult.matchedDigests.length / 32 }, (_, i) => hex(freshResult.matchedDigests.subarray(i * 32, i * 32 + 32))));
const same = freshMatches.size === states.initiator.matches.size && [...freshMatches].every((d) => states.initiator.matches.has(d));
console.log(`incremental / epoch start CPU: ${((incremental.ms / start.ms) * 100).toFixed(2)}% (target: at most 3% at n = 1,000,000, 1% churn)`);
console.log(`incremental / fresh full round CPU: ${((incremental.ms / fresh.ms) * 100).toFixed(2)}%`);
console.log(`epoch matches after the incremental round equal the fresh full round's: ${same ? 'yes' : 'NO'}`);
console.log(`load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs`);
if (!same) process.exitCode = 1;
