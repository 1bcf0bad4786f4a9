/**
 * `venn peers`: what this node grants and has given each peer (node.md §5): evaluation budget
 * used and left, abandonments, suspension, quota and last round. `venn peers clear PEER` lifts a
 * suspension (node.md §5.3), through the daemon when it runs.
 */
import { ValidationError } from '@venn/errors';
import type { CommandIo } from '../main.js';
import { adminRequest, readAdminToken } from '../internal/admin-client.js';
import { UsageError, formatTable, parseCommand, writeJson, type CommandSpec } from '../internal/command.js';
import { loadConfig } from '../internal/config.js';
import { readPublicKey } from '../internal/keyfile.js';
import { dirOption, hasRoster, openNode } from '../internal/node-dir.js';
import { peerReports, type PeerReport } from '../internal/peer-report.js';
import { loadInstalledRoster } from '../internal/roster.js';

export const spec: CommandSpec = {
  name: 'peers',
  summary: 'Per peer: the evaluation budget used and left in the last 24 hours, abandoned rounds, suspension, today\'s quota and the last round. "venn peers clear PEER" lifts a suspension.',
  synopsis: '[clear PEER]',
  positionals: { min: 0, max: 2 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    by: { type: 'string', value: 'NAME', description: 'with clear: who clears the suspension, recorded with it (default: the user name)' },
    json: { type: 'boolean', description: 'print JSON' },
  },
};

async function fromDaemon(dir: string): Promise<PeerReport[] | null> {
  const config = loadConfig(dir);
  try {
    const response = await adminRequest(config, 'GET', '/v1/peers', { token: readAdminToken(config), timeoutMs: 2000 });
    if (response.status === 200) return (response.body as { peers: PeerReport[] }).peers;
  } catch {
    // Not running: read the store.
  }
  return null;
}

function fromStore(dir: string): PeerReport[] {
  const { config, store } = openNode(dir);
  try {
    if (!hasRoster(config)) throw new ValidationError('no-roster', `"roster" expected an installed roster in ${config.paths.dir} (venn roster use), got none`);
    const installed = loadInstalledRoster(config, readPublicKey(config.paths.identityKey));
    return peerReports(store, config, installed.peers, Date.now());
  } finally {
    store.close();
  }
}

async function clear(dir: string, peer: string, by: string, io: CommandIo, json: boolean): Promise<number> {
  const config = loadConfig(dir);
  let answer: { status: number; body: unknown } | null = null;
  try {
    answer = await adminRequest(config, 'POST', `/v1/peers/${encodeURIComponent(peer)}/clear`, { token: readAdminToken(config), body: { by }, timeoutMs: 5000 });
  } catch {
    answer = null;
  }
  let result: unknown;
  if (answer !== null) {
    if (answer.status !== 200) {
      const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ValidationError(error?.code ?? 'admin-error', error?.message ?? `the daemon answered ${answer.status}`);
    }
    result = answer.body;
  } else {
    // The daemon is not running: the store is ours to write.
    const { store } = openNode(dir);
    try {
      if (!fromStore(dir).some((p) => p.id === peer)) throw new UsageError(`"PEER" expected a peer in the installed roster, got ${JSON.stringify(peer)}`);
      const cleared = store.clearSuspension(peer, by);
      if (cleared === undefined) throw new ValidationError('not-suspended', `${peer} is not suspended`);
      result = { peer, clearedAt: new Date(cleared.clearedAt ?? Date.now()).toISOString(), suspendedAt: new Date(cleared.suspendedAt).toISOString() };
    } finally {
      store.close();
    }
  }
  if (json) writeJson(io, result);
  else io.stdout.write(`${peer}: suspension cleared\n`);
  return 0;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const dir = dirOption(values, spec);
  const json = values['json'] === true;
  if (positionals.length > 0) {
    if (positionals[0] !== 'clear' || positionals.length !== 2) throw new UsageError(`expected "venn peers" or "venn peers clear PEER", got "venn peers ${positionals.join(' ')}"`);
    const by = typeof values['by'] === 'string' && values['by'] !== '' ? values['by'] : (process.env['USER'] ?? 'operator');
    return clear(dir, positionals[1]!, by, io, json);
  }
  const peers = (await fromDaemon(dir)) ?? fromStore(dir);
  if (json) {
    writeJson(io, peers);
    return 0;
  }
  io.stdout.write(formatTable(['PEER', 'BUDGET USED', 'LEFT', 'LIMIT/24H', 'ABANDONED/24H', 'SUSPENDED', 'TODAY', 'LAST ROUND'], peers.map((p) => [
    p.id, String(p.budget.used), String(p.budget.left), String(p.budget.limit), `${p.abandonments.last24h}/${p.abandonments.limit}`,
    p.abandonments.suspended ? `since ${p.abandonments.suspendedAt ?? ''}` : 'no', `${p.quota.rounds}/${p.quota.maxRoundsPerDay}`,
    p.lastRound === null ? '-' : `${p.lastRound.status}${p.lastRound.reason === null ? '' : ` (${p.lastRound.reason})`}`,
  ])));
  io.stdout.write('\n');
  return 0;
}
