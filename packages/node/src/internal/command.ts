/** Shared plumbing for `venn` subcommands: argument parsing with --help, usage errors, output. */
import { parseArgs } from 'node:util';
import { ValidationError } from '@venn/errors';
import type { CommandIo } from '../main.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly value?: string;
  readonly multiple?: boolean;
  readonly short?: string;
}

export interface CommandSpec {
  /** Full command name as typed, e.g. "roster build". */
  readonly name: string;
  readonly summary: string;
  /** Positional part of the synopsis, e.g. "FILE" or "ENTRY.json...". */
  readonly synopsis: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals: { readonly min: number; readonly max: number };
  readonly details?: string;
}

/** Bad invocation (unknown flag, missing argument): the CLI exits 2 with the one-line reason. */
export class UsageError extends ValidationError {
  constructor(message: string) {
    super('usage', message);
  }
}

export function helpText(spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([name, option]) => {
    const left = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
    return [left, option.description] as const;
  });
  flags.push(['--help', 'show this help']);
  const width = Math.max(...flags.map(([left]) => left.length));
  return [
    `usage: venn ${spec.name} [options] ${spec.synopsis}`.trimEnd(),
    '',
    spec.summary,
    ...(spec.details === undefined ? [] : ['', spec.details]),
    '',
    'options:',
    ...flags.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`),
    '',
  ].join('\n');
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

/** Parses argv strictly; returns null after printing help when --help was given. */
export function parseCommand(spec: CommandSpec, argv: string[], io: CommandIo): { values: ParsedValues; positionals: string[] } | null {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = { type: option.type, ...(option.multiple === true ? { multiple: true } : {}), ...(option.short === undefined ? {} : { short: option.short }) };
  }
  let parsed: { values: ParsedValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: ParsedValues; positionals: string[] };
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.split('\n')[0] ?? 'bad arguments'} (see venn ${spec.name} --help)`);
  }
  if (parsed.values['help'] === true) {
    io.stdout.write(helpText(spec));
    return null;
  }
  const count = parsed.positionals.length;
  if (count < spec.positionals.min || count > spec.positionals.max) {
    const expected = spec.positionals.max === 0 ? 'no positional arguments' : spec.synopsis;
    throw new UsageError(`expected ${expected}, got ${count === 0 ? 'none' : parsed.positionals.map((p) => JSON.stringify(p)).join(' ')} (see venn ${spec.name} --help)`);
  }
  return parsed;
}

export function stringOption(values: ParsedValues, name: string, spec: CommandSpec): string;
export function stringOption(values: ParsedValues, name: string, spec: CommandSpec, optional: true): string | undefined;
export function stringOption(values: ParsedValues, name: string, spec: CommandSpec, optional = false): string | undefined {
  const value = values[name];
  if (value === undefined || value === '') {
    if (optional) return undefined;
    throw new UsageError(`"--${name}" expected ${spec.options[name]?.value ?? 'a value'}, got nothing (see venn ${spec.name} --help)`);
  }
  if (typeof value !== 'string') throw new UsageError(`"--${name}" expected one value`);
  return value;
}

export function integerOption(values: ParsedValues, name: string, spec: CommandSpec, min: number, max: number): number | undefined {
  const text = stringOption(values, name, spec, true);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`"--${name}" expected an integer between ${min} and ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Comma-separated set with allowed members, e.g. --modes intersection,cardinality. */
export function listOption<T extends string>(values: ParsedValues, name: string, allowed: readonly T[], spec: CommandSpec): T[] | undefined {
  const text = stringOption(values, name, spec, true);
  if (text === undefined) return undefined;
  if (text === 'none') return [];
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new UsageError(`"--${name}" expected a comma-separated list of ${allowed.join(', ')}, got ${JSON.stringify(item)}`);
  }
  return [...new Set(items)] as T[];
}

export function writeJson(io: CommandIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Plain aligned columns for terminals; machine consumers use --json. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function isoTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}
