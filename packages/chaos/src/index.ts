/** @venn/chaos: Venn under many faults at once, and fuzzing of every decoder of untrusted bytes. */
export { CHECKS, checkInvariants, lostLastFinish } from './internal/invariants.js';
export type { CrossCheckOutcome, ExitRecord, InvariantName, Limits, ProofOutcome, RestartRecord, RunEvidence, Violation } from './internal/invariants.js';
export { readMatchKeys, readSnapshot } from './internal/evidence.js';
export type { AttemptRow, HeadRow, MatchKeys, QuotaRow, StoreSnapshot } from './internal/evidence.js';
export { DEFAULT_OPTIONS, FAULT_KINDS, runChaos } from './internal/harness.js';
export type { ChaosOptions, ChaosResult, FaultKind } from './internal/harness.js';
export { formatChaosReport } from './internal/report.js';
export { FaultProxy } from './internal/proxy.js';
export { SeededRandom } from './internal/random.js';
