/**
 * `venn start`: the daemon in the foreground, logging to stdout. SIGTERM and SIGINT stop it
 * gracefully; SIGHUP reloads the configuration, the roster and the TLS files.
 */
import type { CommandIo } from '../main.js';
import { UsageError, parseCommand, stringOption, type CommandSpec } from '../internal/command.js';
import { offsetClock } from '../internal/clock.js';
import { installCrashHandlers } from '../internal/crash.js';
import { Daemon } from '../internal/daemon.js';
import { LOG_FORMATS, type LogFormat } from '../internal/logger.js';
import { dirOption } from '../internal/node-dir.js';

export const spec: CommandSpec = {
  name: 'start',
  summary: 'Run the node daemon in the foreground: peer listener, slot scheduler and admin endpoint. Logs go to stdout, JSON lines by default. SIGTERM or SIGINT stops it gracefully; SIGHUP reloads venn.config.json, the roster installed by venn roster use and the TLS files, and logs what changed.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: [
    'The identity key passphrase, if any, is read from VENN_KEY_PASSPHRASE.',
    'Only one process at a time owns a node directory: a second venn start exits 3 naming the pid that holds it.',
  ].join('\n'),
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory' },
    'log-format': { type: 'string', value: 'json|pretty', description: 'json lines (default) or pretty, coloured text for a terminal' },
    'clock-start': { type: 'string', value: 'ISO-8601', description: 'run the node clock from this instant (drills and tests); default: the system clock' },
  },
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const dir = dirOption(values, spec);
  const clockStart = stringOption(values, 'clock-start', spec, true);
  const logFormat = stringOption(values, 'log-format', spec, true) ?? 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) throw new UsageError(`"--log-format" expected ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(logFormat)}`);
  let now: (() => number) | undefined;
  if (clockStart !== undefined) {
    const start = Date.parse(clockStart);
    if (!Number.isFinite(start)) throw new UsageError(`"--clock-start" expected an ISO-8601 instant, got ${JSON.stringify(clockStart)}`);
    now = offsetClock(start);
  }
  // Signals are listened for before the daemon starts, so one that arrives during the start (or
  // right after the start line) is not the default action, which would kill the process.
  let requested: NodeJS.Signals | undefined;
  let onStop: ((signal: NodeJS.Signals) => void) | undefined;
  let daemon: Daemon | undefined;
  const stopSignal = (signal: NodeJS.Signals): void => {
    if (onStop === undefined) requested ??= signal;
    else onStop(signal);
  };
  // Kept until the process exits: SIGHUP's default action would kill a stopping daemon.
  const reload = (): void => {
    daemon?.reload('SIGHUP');
  };
  process.on('SIGHUP', reload);
  process.on('SIGTERM', stopSignal);
  process.on('SIGINT', stopSignal);
  daemon = await Daemon.start({ dir, logFormat: logFormat as LogFormat, ...(now === undefined ? {} : { now }) });
  const running = daemon;
  const uninstall = installCrashHandlers(running.logger);
  return new Promise<number>((resolve) => {
    let stopping = false;
    onStop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      running.logger.info({ signal }, 'signal received');
      running.stop('shutdown').then(() => {
        uninstall();
        resolve(0);
      }, (error: unknown) => {
        io.stderr.write(`venn start: shutdown failed: ${(error as Error).message}\n`);
        resolve(1);
      });
    };
    if (requested !== undefined) onStop(requested);
  });
}
