/** `venn start`: the daemon in the foreground, logging JSON lines to stdout; SIGTERM stops it gracefully. */
import type { CommandIo } from '../cli.js';
import { UsageError, parseCommand, stringOption, type CommandSpec } from '../internal/command.js';
import { offsetClock } from '../internal/clock.js';
import { Daemon } from '../internal/daemon.js';
import { dirOption } from '../internal/node-dir.js';

export const spec: CommandSpec = {
  name: 'start',
  summary: 'Run the node daemon in the foreground: peer listener, slot scheduler and admin endpoint. Logs are JSON lines on stdout. SIGTERM or SIGINT stops it gracefully.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: 'The identity key passphrase, if any, is read from VENN_KEY_PASSPHRASE.',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    'clock-start': { type: 'string', value: 'ISO-8601', description: 'run the node clock from this instant (drills and tests); default: the system clock' },
  },
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const dir = dirOption(values, spec);
  const clockStart = stringOption(values, 'clock-start', spec, true);
  let now: (() => number) | undefined;
  if (clockStart !== undefined) {
    const start = Date.parse(clockStart);
    if (!Number.isFinite(start)) throw new UsageError(`"--clock-start" expected an ISO-8601 instant, got ${JSON.stringify(clockStart)}`);
    now = offsetClock(start);
  }
  const daemon = await Daemon.start({ dir, ...(now === undefined ? {} : { now }) });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      daemon.logger.info({ signal }, 'signal received');
      daemon.stop('shutdown').then(() => resolve(0), (error: unknown) => {
        io.stderr.write(`venn start: shutdown failed: ${(error as Error).message}\n`);
        resolve(1);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
