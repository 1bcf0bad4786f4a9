/** `venn round`: asks the running daemon for an ad-hoc round with a peer and waits for its outcome. */
import { ValidationError } from '@venn/errors';
import type { CommandIo } from '../main.js';
import { UsageError, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { adminRequest, readAdminToken } from '../internal/admin-client.js';
import { loadConfig } from '../internal/config.js';
import { dirOption } from '../internal/node-dir.js';
import { createProgress } from '../internal/progress.js';

export const spec: CommandSpec = {
  name: 'round',
  summary: 'Ask the running daemon (through its admin endpoint) to run an ad-hoc round with a peer now; wait for it and print round id, status, counts, matches found and transcript hash. Exits non-zero unless the round completed.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    peer: { type: 'string', value: 'LAB_ID', description: 'the peer to run the round with' },
    mode: { type: 'string', value: 'intersection|cardinality', description: 'what the round reveals (default intersection). cardinality runs only if both labs accepted it (acceptSemiHonestCardinality): it hides which identifiers matched only from an honest peer; a malicious peer learns which of its identifiers this lab holds, exactly as in intersection mode, while this lab learns only the count (protocol-spec/SPEC.md §10.4)' },
    timeout: { type: 'string', value: 'SECONDS', description: 'give up waiting after this long (default 900)' },
    json: { type: 'boolean', description: 'print the outcome as JSON' },
  },
};

interface RoundView {
  roundId: string; attempt: number; peer: string; mode: string | null; status: string; reason: string | null; detail: string | null;
  localSetSize: number | null; peerSetSize: number | null; intersectionSize: number | null; peerClaimedSize: number | null;
  matches: number; transcriptHash: string | null; progress: { processed: number; total: number } | null;
}

function errorOf(body: unknown): { code: string; message: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { code: typeof error?.code === 'string' ? error.code : 'admin-error', message: typeof error?.message === 'string' ? error.message : JSON.stringify(body) };
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const config = loadConfig(dirOption(values, spec));
  const peer = stringOption(values, 'peer', spec);
  const mode = stringOption(values, 'mode', spec, true) ?? 'intersection';
  if (mode !== 'intersection' && mode !== 'cardinality') throw new UsageError(`"--mode" expected intersection or cardinality, got ${JSON.stringify(mode)}`);
  const timeoutText = stringOption(values, 'timeout', spec, true) ?? '900';
  const timeoutSeconds = Number(timeoutText);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`"--timeout" expected a positive number of seconds, got ${JSON.stringify(timeoutText)}`);

  const started = await adminRequest(config, 'POST', '/v1/rounds', { body: { peer, mode }, token: readAdminToken(config) });
  if (started.status !== 202) {
    const { code, message } = errorOf(started.body);
    throw new ValidationError(code, `the daemon refused the round: ${message}`);
  }
  const roundId = (started.body as { roundId: string }).roundId;
  const progress = createProgress(io.stderr, `round ${roundId.slice(0, 12)} with ${peer}`, null);
  const deadline = Date.now() + timeoutSeconds * 1000;
  let view: RoundView;
  for (;;) {
    // Long-poll: the daemon answers as soon as the round ends, or after a few seconds with progress.
    const response = await adminRequest(config, 'GET', `/v1/rounds/${roundId}?wait=2`, { timeoutMs: 15_000 });
    if (response.status !== 200) {
      const { code, message } = errorOf(response.body);
      throw new ValidationError(code, message);
    }
    view = response.body as RoundView;
    if (view.status !== 'scheduled' && view.status !== 'running') break;
    if (view.progress !== null) progress.update(view.progress.processed, `of ${view.progress.total} elements`);
    if (Date.now() > deadline) throw new ValidationError('round-timeout', `round ${roundId} expected to finish within ${timeoutSeconds} s, still ${view.status}`);
  }
  progress.finish();
  if (values['json'] === true) {
    writeJson(io, view);
  } else {
    io.stdout.write([
      `round        ${view.roundId}`,
      `status       ${view.status}${view.reason === null ? '' : ` (${view.reason})`}`,
      `peer         ${view.peer} (${view.mode ?? '-'})`,
      `set sizes    local ${view.localSetSize ?? '-'}, peer ${view.peerSetSize ?? '-'}`,
      `intersection ${view.intersectionSize ?? '-'}${view.peerClaimedSize !== null && view.peerClaimedSize !== view.intersectionSize ? ` (peer claimed ${view.peerClaimedSize})` : ''}`,
      `matches      ${view.matches}`,
      `transcript   ${view.transcriptHash ?? '-'}`,
      '',
    ].join('\n'));
  }
  if (view.status !== 'completed') {
    io.stderr.write(`venn round: round ${view.status}: ${view.reason ?? 'unknown'}${view.detail === null ? '' : `: ${view.detail}`}\n`);
    return 1;
  }
  return 0;
}
