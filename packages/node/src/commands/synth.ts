/** `venn synth`: seeded synthetic identifier lists for N labs with planted overlaps, and their ground truth. */
import { resolve } from 'node:path';
import type { CommandIo } from '../main.js';
import { UsageError, formatTable, integerOption, listOption, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { DEFAULT_SYNTH_KINDS, GROUND_TRUTH_FILE, MAX_SYNTH_LABS, MAX_SYNTH_SIZE, SYNTH_KINDS, writeSynth } from '../internal/synth.js';

export const spec: CommandSpec = {
  name: 'synth',
  summary: 'Write synthetic identifier lists for N labs (CSV and JSONL exports with messy real-world formatting) with planted overlaps: a ring every lab holds and one overlap per pair of labs. Also writes ground-truth.json: per file the venn ingest arguments and expected counts, per lab the matches its rounds must find. The same options always give the same files.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: `Files: DIR/LAB/KIND.csv or .jsonl, one per lab and kind, and DIR/${GROUND_TRUTH_FILE}. Values come from reserved ranges (example domains, 2001:db8::/32, 198.18.0.0/15, fictional phone numbers), never real people.`,
  options: {
    out: { type: 'string', value: 'DIR', description: 'directory to write (created if missing)' },
    labs: { type: 'string', value: 'N', description: `number of labs, 2 to ${MAX_SYNTH_LABS} (default 3)` },
    size: { type: 'string', value: 'N', description: `distinct identifiers per lab, 1 to ${MAX_SYNTH_SIZE} (default 3000)` },
    seed: { type: 'string', value: 'N', description: 'seed of the generator (default 1)' },
    overlap: { type: 'string', value: 'R', description: 'fraction of each lab\'s identifiers that peers also hold, 0 to 1 (default 0.1)' },
    kinds: { type: 'string', value: 'LIST', description: `comma-separated kinds from ${SYNTH_KINDS.join(', ')} (default ${DEFAULT_SYNTH_KINDS.join(',')})` },
    json: { type: 'boolean', description: 'print the ground truth\'s file list and group sizes as JSON' },
  },
};

/** Parses a fraction in [0, 1], e.g. "0.1". */
export function fractionOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^(0|1|0?\.[0-9]+|1\.0*)$/.test(text) || !(value >= 0 && value <= 1)) throw new UsageError(`"--${name}" expected a fraction between 0 and 1, got ${JSON.stringify(text)}`);
  return value;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const out = resolve(stringOption(values, 'out', spec));
  const options = {
    labs: integerOption(values, 'labs', spec, 2, MAX_SYNTH_LABS) ?? 3,
    size: integerOption(values, 'size', spec, 1, MAX_SYNTH_SIZE) ?? 3000,
    seed: integerOption(values, 'seed', spec, 0, Number.MAX_SAFE_INTEGER) ?? 1,
    overlap: fractionOption(stringOption(values, 'overlap', spec, true), 'overlap') ?? 0.1,
    kinds: listOption(values, 'kinds', SYNTH_KINDS, spec) ?? [...DEFAULT_SYNTH_KINDS],
  };
  if (options.kinds.length === 0) throw new UsageError(`"--kinds" expected at least one of ${SYNTH_KINDS.join(', ')}, got none`);
  const truth = writeSynth(out, options);
  if (values['json'] === true) {
    writeJson(io, { out, groundTruth: resolve(out, GROUND_TRUTH_FILE), labs: truth.labs, groups: truth.groups, files: truth.files });
    return 0;
  }
  io.stdout.write(`wrote ${truth.files.length} files for ${truth.labs.length} labs to ${out} (seed ${truth.seed}, ${truth.size} identifiers per lab)\n\n`);
  io.stdout.write(formatTable(['FILE', 'KIND', 'ROWS', 'ACCEPTED', 'REPEATS', 'REJECTS'], truth.files.map((f) => [f.path, f.kind, String(f.rows), String(f.accepted), String(f.duplicates), String(f.rejected)])));
  io.stdout.write('\nplanted overlaps:\n');
  io.stdout.write(formatTable(['GROUP', 'LABS', 'IDENTIFIERS'], truth.groups.map((g) => [g.name, g.labs.join(','), String(g.size)])));
  io.stdout.write(`\nground truth: ${resolve(out, GROUND_TRUTH_FILE)}\n`);
  return 0;
}
