/** `venn id hash`: canonical forms and digests of identifiers (protocol-spec/identifiers.md). */
import { createInterface } from 'node:readline';
import { ValidationError } from '@venn/errors';
import { IDENTIFIER_KINDS, InvalidIdentifierError, digestToHex, hashIdentifier, isIdentifierKind } from '@venn/identifiers';
import type { CommandIo } from '../main.js';
import { UsageError, parseCommand, stringOption, type CommandSpec } from '../internal/command.js';

export const hashSpec: CommandSpec = {
  name: 'id hash',
  summary: 'Print one line per VALUE: KIND<TAB>CANONICAL<TAB>DIGEST (hex SHA-256 per protocol-spec/identifiers.md §10). Equivalent spellings give equal digests. Exits 1 naming each rejected value and the reason; the other values are still printed.',
  synopsis: 'VALUE... | -',
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  details: 'With "-" as the only VALUE, values are read from standard input, one per line.',
  options: {
    kind: { type: 'string', value: 'KIND', description: `identifier kind: ${IDENTIFIER_KINDS.join(', ')}` },
    region: { type: 'string', value: 'CC', description: 'default region for phone numbers without "+", e.g. US' },
    json: { type: 'boolean', description: 'print JSON lines {kind, input, canonical, digest} (or {kind, input, error})' },
    'no-hygiene': { type: 'boolean', description: 'do not apply the hygiene list (identifiers.md §12): print the canonical form of values it rejects' },
  },
};

function usage(): string {
  return ['usage: venn id <subcommand> [options]', '', 'subcommands:', '  hash  canonicalize and hash identifiers (venn id hash --help)', ''].join('\n');
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  if (sub !== 'hash') {
    throw new UsageError(sub === undefined ? 'expected a subcommand: hash (see venn id --help)' : `unknown subcommand ${JSON.stringify(sub)}; expected hash (see venn id --help)`);
  }
  return hash(rest, io);
}

async function hash(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(hashSpec, argv, io);
  if (parsed === null) return 0;
  const { values, positionals } = parsed;
  const kind = stringOption(values, 'kind', hashSpec);
  if (!isIdentifierKind(kind)) throw new UsageError(`"--kind" expected one of ${IDENTIFIER_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const region = stringOption(values, 'region', hashSpec, true);
  const json = values['json'] === true;
  const hygiene = values['no-hygiene'] === true ? false : undefined;

  let rejected = 0;
  const one = (input: string): void => {
    try {
      const { canonical, digest } = hashIdentifier(kind, input, { region, hygiene });
      io.stdout.write(json ? `${JSON.stringify({ kind, input, canonical, digest: digestToHex(digest) })}\n` : `${kind}\t${canonical}\t${digestToHex(digest)}\n`);
    } catch (error) {
      if (error instanceof InvalidIdentifierError) {
        rejected++;
        io.stderr.write(`venn id hash: ${error.message} [${error.code}]\n`);
        if (json) io.stdout.write(`${JSON.stringify({ kind, input, error: { code: error.code, reason: error.reason, ...(error.rule === undefined ? {} : { rule: error.rule }), message: error.message } })}\n`);
        return;
      }
      // A bad --region fails every value alike: it is a usage error, not a rejected value.
      if (error instanceof ValidationError && error.code === 'invalid-region') throw new UsageError(`"--region": ${error.message}`);
      throw error;
    }
  };

  if (positionals.length === 1 && positionals[0] === '-') {
    await eachLine(io, one);
  } else {
    for (const input of positionals) one(input);
  }
  return rejected === 0 ? 0 : 1;
}

async function eachLine(io: CommandIo, one: (input: string) => void): Promise<void> {
  const stdin = (io as { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
  // crlfDelay: a CRLF split across reads still ends one line, so no value keeps a stray CR.
  const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.length === 0) continue;
    one(line);
  }
}
