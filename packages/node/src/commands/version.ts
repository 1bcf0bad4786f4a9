/** `venn version`: this build's version, the Node.js running it and the protocol it speaks. */
import { PROTOCOL_VERSION } from '@venn/transport';
import type { CommandIo } from '../main.js';
import { parseCommand, writeJson, type CommandSpec } from '../internal/command.js';
import { VERSION } from '../internal/version.js';

export const spec: CommandSpec = {
  name: 'version',
  summary: 'Print the version of this venn (the same as venn --version); with --json, also the Node.js version and the transport protocol version.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  options: {
    json: { type: 'boolean', description: 'print JSON' },
  },
};

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  if (parsed.values['json'] === true) writeJson(io, { venn: VERSION, node: process.versions.node, protocol: PROTOCOL_VERSION });
  else io.stdout.write(`venn ${VERSION}\n`);
  return 0;
}
