/** Shared pieces of the core benchmark: data, phase timing, CPU clocks and the psi.js binding. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Phase, PhaseTimer, RoundPolicy } from '@venn/protocol';
import { MAX_SET_SIZE, type Mode } from '@venn/wire';

export const PHASES: readonly Phase[] = ['hash-to-group', 'blind', 'evaluate', 'prove', 'verify', 'match'];

/** n digests per side, the first `shared` of them common to both (then each list is shuffled by the round). */
export function benchSets(n: number, shared: number): { initiator: Uint8Array[]; responder: Uint8Array[] } {
  const digest = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());
  const initiator: Uint8Array[] = [];
  const responder: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    initiator.push(digest(i < shared ? `bench/shared/${i}` : `bench/initiator/${i}`));
    responder.push(digest(i < shared ? `bench/shared/${i}` : `bench/responder/${i}`));
  }
  return { initiator, responder };
}

/** Both parties accept whatever the benchmark runs; cardinality only as the explicit semi-honest choice it is. */
export function benchPolicy(mode: Mode): RoundPolicy {
  return { maxPeerSetSize: MAX_SET_SIZE, evaluationAllowance: MAX_SET_SIZE, modes: [mode], labelFields: [], semiHonestCardinality: mode === 'cardinality', allowIdentifierRulesMismatch: false };
}

export function pack(elements: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(elements.length * 32);
  elements.forEach((element, i) => out.set(element, i * 32));
  return out;
}

export function unpack(packed: Uint8Array): Uint8Array[] {
  return Array.from({ length: packed.length / 32 }, (_, i) => packed.slice(i * 32, i * 32 + 32));
}

/** Accumulates wall milliseconds per phase; the clock is the benchmark's, not the round's. */
export function phaseRecorder(): { timer: PhaseTimer; totals: Record<Phase, number> } {
  const totals = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Record<Phase, number>;
  const timer: PhaseTimer = (phase, work) => {
    const started = performance.now();
    try {
      return work();
    } finally {
      totals[phase] += performance.now() - started;
    }
  };
  return { timer, totals };
}

/**
 * CPU milliseconds of the calling thread from /proc/thread-self/stat (Linux; 10 ms ticks at the
 * usual USER_HZ of 100). Node 20 has no per-thread CPU clock; undefined elsewhere.
 */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Process CPU milliseconds (user + system), for code that runs on one thread at a time. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// The slice of @openmined/psi.js 2.0.6 the benchmark uses.
interface PsiMessage {
  serializeBinary(): Uint8Array;
}
export interface PsiLibrary {
  server: { createWithNewKey(revealIntersection: boolean): PsiServer };
  client: { createWithNewKey(revealIntersection: boolean): PsiClient };
  dataStructure: { Raw: unknown };
  serverSetup: { deserializeBinary(bytes: Uint8Array): PsiMessage };
  request: { deserializeBinary(bytes: Uint8Array): PsiMessage };
  response: { deserializeBinary(bytes: Uint8Array): PsiMessage };
}
interface PsiServer {
  createSetupMessage(fpr: number, numClientInputs: number, inputs: readonly string[], dataStructure: unknown): PsiMessage;
  processRequest(request: PsiMessage): PsiMessage;
}
interface PsiClient {
  createRequest(inputs: readonly string[]): PsiMessage;
  getIntersection(setup: PsiMessage, response: PsiMessage): number[];
}

export async function loadPsi(): Promise<PsiLibrary> {
  const module = (await import('@openmined/psi.js' as string)) as { default: () => Promise<PsiLibrary> };
  return module.default();
}

export const hexStrings = (elements: readonly Uint8Array[]): string[] => elements.map((e) => Buffer.from(e).toString('hex'));
