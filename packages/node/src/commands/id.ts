import type { CommandIo } from '../cli.js';

export async function run(_argv: string[], io: CommandIo): Promise<number> {
  io.stderr.write('venn id: not implemented yet\n');
  return 1;
}
