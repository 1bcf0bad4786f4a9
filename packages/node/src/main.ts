#!/usr/bin/env node
/** The `venn` command line: one module per subcommand under ./commands. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, VennError } from '@venn/errors';
import { VERSION } from './internal/version.js';

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Standard input, for commands that read "-"; process.stdin when absent. */
  readonly stdin?: NodeJS.ReadableStream & AsyncIterable<Uint8Array | string>;
}

/** A subcommand returns the process exit code; it throws VennError for user-facing failures. */
export type Command = (argv: string[], io: CommandIo) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: 'create a node directory and print its roster entry', load: async () => (await import('./commands/init.js')).run },
  roster: { summary: 'build a roster from entries (roster build) or install one (roster use)', load: async () => (await import('./commands/roster.js')).run },
  ingest: { summary: 'load identifiers from a CSV, TSV or JSONL file (or stdin, gzip) into a list', load: async () => (await import('./commands/ingest.js')).run },
  remove: { summary: 'remove identifiers listed in a file (or stdin) from a list', load: async () => (await import('./commands/remove.js')).run },
  lists: { summary: 'show each list (kind, size, last ingest, files, retention); lists drop NAME removes one', load: async () => (await import('./commands/lists.js')).run },
  start: { summary: 'run the node daemon in the foreground', load: async () => (await import('./commands/start.js')).run },
  round: { summary: 'ask the running daemon for an ad-hoc round with a peer and wait for it', load: async () => (await import('./commands/round.js')).run },
  epochs: { summary: 'epochs look: have the running daemon look at its key epochs now, as at an interval tick (carries new ingests at once)', load: async () => (await import('./commands/epochs.js')).run },
  rounds: { summary: 'list rounds with their status, reason and cost', load: async () => (await import('./commands/rounds.js')).run },
  matches: { summary: 'list local identifiers matched by peers', load: async () => (await import('./commands/matches.js')).run },
  status: { summary: 'daemon, peers, next slot, list sizes and log head', load: async () => (await import('./commands/status.js')).run },
  peers: { summary: 'evaluation budgets, abandoned rounds and suspensions per peer; "peers clear PEER" lifts a suspension', load: async () => (await import('./commands/peers.js')).run },
  id: { summary: 'canonicalize and hash identifiers (venn id hash --kind KIND VALUE...)', load: async () => (await import('./commands/id.js')).run },
  audit: { summary: 'transcript bundles, log heads and proofs, and the auditor\'s checks (export, verify, head, prove, export-log, cross-check)', load: async () => (await import('./commands/audit.js')).run },
  backup: { summary: 'write a consistent copy of the store while the daemon runs', load: async () => (await import('./commands/backup.js')).run },
  restore: { summary: 'replace a stopped node\'s store with a backup that does not roll its audit log back', load: async () => (await import('./commands/backup.js')).runRestore },
  demo: { summary: 'run a whole federation on this machine: N labs, one scheduled slot, a checked report', load: async () => (await import('./commands/demo.js')).run },
  synth: { summary: 'write seeded synthetic identifier lists for N labs, with planted overlaps and ground truth', load: async () => (await import('./commands/synth.js')).run },
  version: { summary: 'print this version of Venn (also venn --version)', load: async () => (await import('./commands/version.js')).run },
};

/** Exit codes (protocol-spec/node.md §9). */
export const EXIT = { ok: 0, failed: 1, usage: 2, environment: 3, internal: 70 } as const;

/** Operating-system and SQLite error codes that mean the machine is in the way, not Venn. */
const ENVIRONMENT_ERRNO = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE']);
const ENVIRONMENT_SQLITE = /^SQLITE_(READONLY|CANTOPEN|PERM|FULL|IOERR|BUSY|LOCKED)/;

/** The environment error inside `error`, described with the path or address it names. */
function environmentProblem(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return undefined;
  const fields = error as Error & { code: string; path?: unknown; address?: unknown; port?: unknown; syscall?: unknown };
  if (ENVIRONMENT_ERRNO.has(fields.code)) {
    // Node's messages name the path ("open '/x'") and usually the address ("listen EADDRINUSE ... 127.0.0.1:7001").
    if (typeof fields.address !== 'string' || fields.message.includes(fields.address)) return fields.message;
    return `${fields.message} (${fields.address}${typeof fields.port === 'number' ? `:${fields.port}` : ''})`;
  }
  if (ENVIRONMENT_SQLITE.test(fields.code)) return `the store: ${fields.message} (${fields.code})`;
  return undefined;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    'usage: venn <command> [options]', '', 'commands:', ...lines, '',
    'Every command takes --help (or: venn help COMMAND). Exit codes: 0 success, 1 the command failed,',
    '2 usage, 3 the environment (a port in use, a directory not writable, the node directory in use), 70 internal error.',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`venn ${VERSION}\n`);
    return EXIT.ok;
  }
  // `venn help roster use` is `venn roster use --help`.
  if (name === 'help') return main([...rest, '--help'], io);
  const entry = commands[name];
  if (entry === undefined) {
    io.stderr.write(`venn: unknown command "${name}"; expected one of ${Object.keys(commands).join(', ')}\n`);
    return EXIT.usage;
  }
  try {
    return await (await entry.load())(rest, io);
  } catch (error) {
    if (error instanceof VennError) {
      // One line: the reason is the message, newlines folded.
      io.stderr.write(`venn ${name}: ${error.message.replace(/\s*\n\s*/g, '; ')} [${error.code}]\n`);
      return error.code === 'usage' ? EXIT.usage : error instanceof EnvironmentError ? EXIT.environment : EXIT.failed;
    }
    const problem = environmentProblem(error);
    if (problem !== undefined) {
      io.stderr.write(`venn ${name}: ${problem.replace(/\s*\n\s*/g, '; ')} [environment]\n`);
      return EXIT.environment;
    }
    // A bug, not a user error: still one line, the stack only on request.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`venn ${name}: internal error: ${message.replace(/\s*\n\s*/g, '; ')}\n`);
    if (process.env['VENN_DEBUG'] !== undefined && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
    return EXIT.internal;
  }
}

// Through the `venn` bin, argv[1] is a symlink; compare real paths.
const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // `venn matches | head`: a closed pipe is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
