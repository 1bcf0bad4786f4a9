#!/usr/bin/env node
/** The `venn` command line: one module per subcommand under ./commands. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VennError } from '@venn/errors';

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** A subcommand returns the process exit code; it throws VennError for user-facing failures. */
export type Command = (argv: string[], io: CommandIo) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: 'create a node directory and print its roster entry', load: async () => (await import('./commands/init.js')).run },
  roster: { summary: 'build a roster from entries (roster build) or install one (roster use)', load: async () => (await import('./commands/roster.js')).run },
  ingest: { summary: 'load identifiers from a CSV or JSONL file into a list', load: async () => (await import('./commands/ingest.js')).run },
  start: { summary: 'run the node daemon in the foreground', load: async () => (await import('./commands/start.js')).run },
  round: { summary: 'ask the running daemon for an ad-hoc round with a peer and wait for it', load: async () => (await import('./commands/round.js')).run },
  rounds: { summary: 'list rounds with their status and reason', load: async () => (await import('./commands/rounds.js')).run },
  matches: { summary: 'list local identifiers matched by peers', load: async () => (await import('./commands/matches.js')).run },
  status: { summary: 'daemon, peers, next slot, list sizes and log head', load: async () => (await import('./commands/status.js')).run },
  peers: { summary: 'evaluation budgets, abandoned rounds and suspensions per peer; "peers clear PEER" lifts a suspension', load: async () => (await import('./commands/peers.js')).run },
  id: { summary: 'canonicalize and hash identifiers (venn id hash --kind KIND VALUE...)', load: async () => (await import('./commands/id.js')).run },
  audit: { summary: 'transcript bundles, log heads and proofs, and the auditor\'s checks (export, verify, head, prove, export-log, cross-check)', load: async () => (await import('./commands/audit.js')).run },
  backup: { summary: 'write a consistent copy of the store while the daemon runs', load: async () => (await import('./commands/backup.js')).run },
  restore: { summary: 'replace a stopped node\'s store with a backup that does not roll its audit log back', load: async () => (await import('./commands/backup.js')).runRestore },
  demo: { summary: 'run a whole federation on this machine: N labs, one scheduled slot, a checked report', load: async () => (await import('./commands/demo.js')).run },
  synth: { summary: 'write seeded synthetic identifier lists for N labs, with planted overlaps and ground truth', load: async () => (await import('./commands/synth.js')).run },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return ['usage: venn <command> [options]', '', 'commands:', ...lines, '', 'Every command takes --help.'].join('\n');
}

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.stderr.write(`venn: unknown command "${name}"; expected one of ${Object.keys(commands).join(', ')}\n`);
    return 2;
  }
  try {
    return await (await entry.load())(rest, io);
  } catch (error) {
    if (error instanceof VennError) {
      // One line: the reason is the message, newlines folded.
      io.stderr.write(`venn ${name}: ${error.message.replace(/\s*\n\s*/g, '; ')} [${error.code}]\n`);
      return error.code === 'usage' ? 2 : 1;
    }
    // A bug, not a user error: still one line, the stack only on request.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`venn ${name}: internal error: ${message.replace(/\s*\n\s*/g, '; ')}\n`);
    if (process.env['VENN_DEBUG'] !== undefined && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
    return 70;
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
