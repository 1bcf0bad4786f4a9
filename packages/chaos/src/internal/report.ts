/** The closing table of a chaos run. */
import { cpus, loadavg } from 'node:os';
import { quantile, type ChaosResult } from './harness.js';

function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

const ms = (value: number | null): string => (value === null ? '—' : `${(value / 1000).toFixed(2)} s`);

export function formatChaosReport(result: ChaosResult): string {
  const faults = Object.entries(result.faults).sort(([a], [b]) => a.localeCompare(b));
  const totalFaults = faults.reduce((sum, [, n]) => sum + n, 0);
  const aborted = Object.entries(result.abortedByReason).sort(([, a], [, b]) => b - a);
  const refused = Object.entries(result.adHoc.refused).sort(([, a], [, b]) => b - a);
  const byInvariant = new Map<string, number>();
  for (const violation of result.violations) byInvariant.set(violation.invariant, (byInvariant.get(violation.invariant) ?? 0) + 1);
  const load = loadavg().map((n) => n.toFixed(2)).join(' ');
  const lines = [
    `venn chaos: seed ${result.seed}, ${result.minutes} min, 3 daemons, load average ${load} on ${cpus().length} cores`,
    '',
    'rounds',
    table([
      ['round ids attempted', String(result.roundsAttempted)],
      ['round ids completed', `${result.roundsCompleted} (${result.roundsAttempted === 0 ? 0 : Math.round((100 * result.roundsCompleted) / result.roundsAttempted)} %)`],
      ['attempts (both sides)', `${result.attempts}, ${result.attemptsCompleted} completed`],
      ['retries (initiator attempts > 1)', String(result.retries)],
      ['lost last FINISH (completed on one side only)', `${result.lostLastFinish}: the other side crashed or lost the connection between the two FINISH messages; audit.md §10.2 reports them, protocol v1 cannot prevent them`],
      ['ad-hoc requests', `${result.adHoc.requested}: ${result.adHoc.accepted} accepted${refused.length === 0 ? '' : `, refused ${refused.map(([k, n]) => `${k} ${n}`).join(', ')}`}`],
    ]),
    '',
    'attempts aborted, by reason',
    aborted.length === 0 ? '  none' : table(aborted.map(([reason, n]) => [reason, String(n)])),
    '',
    `faults injected (${totalFaults}; ${result.skipped} scheduled events skipped: a network fault whose lab was down, a process or disk fault still waiting for its lab when the faults ended)`,
    table(faults.map(([kind, n]) => [kind, String(n)])),
    result.diskFull.available ? `  (disk full on ${result.diskFull.detail} per node)` : `  (disk full not injected: ${result.diskFull.detail})`,
    '',
    'recovery',
    table([
      ['healthy after kill -9, p50', ms(quantile(result.healthyAfterKillMs, 0.5))],
      ['healthy after kill -9, max', `${ms(quantile(result.healthyAfterKillMs, 1))} (${result.healthyAfterKillMs.length} restarts)`],
      ['writing again after disk full clears, p50', ms(quantile(result.healthyAfterDiskFullMs, 0.5))],
      ['writing again after disk full clears, max', `${ms(quantile(result.healthyAfterDiskFullMs, 1))} (${result.healthyAfterDiskFullMs.length} times)`],
      ['daemons that exited on a full disk', String(result.exitsOnFullDisk.length)],
      ...Object.entries(result.peakRssMiB).map(([node, peak]) => [`peak RSS ${node}`, `${peak.toFixed(0)} MiB`] as [string, string]),
    ]),
    ...result.exitsOnFullDisk.slice(0, 3).map((line) => `  exit on a full disk: ${line}`),
    '',
    `phases: ${Object.entries(result.phases).map(([name, seconds]) => `${name} ${seconds} s`).join(', ')}`,
    `checked: ${result.snapshots} store snapshots, ${result.proofs} consistency proofs (venn audit prove), ${result.crossChecks} cross-checks (venn audit cross-check)`,
    `violations: ${result.violations.length}${byInvariant.size === 0 ? '' : ` (${[...byInvariant].map(([k, n]) => `${k} ${n}`).join(', ')})`}`,
    ...result.violations.slice(0, 40).map((v) => `  ${v.invariant}${v.node === null ? '' : ` ${v.node}`}: ${v.detail}`),
    ...(result.violations.length > 40 ? [`  … ${result.violations.length - 40} more`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
