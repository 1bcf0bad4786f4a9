/**
 * The command line's conventions, through the built CLI: --version and venn version, venn help
 * COMMAND, --json on every command that prints data, usage errors for impossible filters.
 */
import { mkdirSync, readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from './helpers/build.js';
import { venn } from './helpers/cli.js';
import { Federation, emails, type NodeProcess } from './helpers/federation.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/node/package.json'), 'utf8')) as { version: string }).version;
const root = mkdtempSync(join(tmpdir(), 'venn-conventions-'));
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('conventions', () => {
  it('venn --version, venn -V and venn version print the version; --json adds Node and the protocol', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const result = await venn(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toBe(`venn ${version}\n`);
    }
    const json = await venn(['version', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ venn: version, node: process.versions.node, protocol: 1 });
  });

  it.each(['ingest', 'remove', 'lists', 'lists drop', 'status', 'roster use', 'audit verify', 'id hash'])('venn help %s prints that command\'s help', async (command) => {
    const help = await venn(['help', ...command.split(' ')]);
    const direct = await venn([...command.split(' '), '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: venn ${command} `));
    expect(help.stdout).toBe(direct.stdout);
  });

  it('venn help with no command lists the commands and the exit codes', async () => {
    const result = await venn(['help']);
    expect(result.code).toBe(0);
    for (const name of ['ingest', 'remove', 'lists', 'version']) expect(result.stdout).toContain(`  ${name}`);
    expect(result.stdout).toMatch(/3 the environment/);
  });

  it.each([
    'init', 'roster build', 'roster use', 'ingest', 'remove', 'lists', 'lists drop', 'round', 'rounds', 'matches', 'status', 'id hash',
    'audit verify', 'audit head', 'audit prove', 'audit cross-check', 'synth', 'version',
  ])('venn %s accepts --json', async (command) => {
    const help = await venn([...command.split(' '), '--help']);
    expect(help.stdout).toMatch(/^ {2}--json\b/m);
  });

  it('venn matches --json is --format json; a peer the roster does not name is a usage error', async () => {
    const entries: string[] = [];
    for (const [id, port] of [['lab-a', 7211], ['lab-b', 7212]] as const) {
      const init = await venn(['init', '--dir', join(root, id), '--id', id, '--listen', `127.0.0.1:${port}`, '--json']);
      expect(init.code, init.stderr).toBe(0);
      writeFileSync(join(root, `${id}.json`), init.stdout);
      entries.push(join(root, `${id}.json`));
    }
    expect((await venn(['roster', 'build', '--name', 'c', '--out', join(root, 'roster.json'), ...entries])).code).toBe(0);
    expect((await venn(['roster', 'use', '--dir', join(root, 'lab-a'), join(root, 'roster.json')])).code).toBe(0);
    const json = await venn(['matches', '--dir', join(root, 'lab-a'), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const both = await venn(['matches', '--dir', join(root, 'lab-a'), '--json', '--format', 'csv']);
    expect(both.code).toBe(2);
    const typo = await venn(['matches', '--dir', join(root, 'lab-a'), '--peer', 'lab-c']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/"--peer" expected one of the roster's peers \(lab-b\), got "lab-c" \[usage\]/);
    expect((await venn(['matches', '--dir', join(root, 'lab-a'), '--peer', 'lab-b', '--json'])).code).toBe(0);
  });
});

/**
 * Every command and subcommand in the CLI's own command table, as `venn --help` and each
 * command's help list them. A command added without a run below fails the first test.
 */
async function commandTable(): Promise<string[]> {
  const top = await venn(['--help']);
  const section = top.stdout.split('\ncommands:\n')[1]!.split('\n\n')[0]!;
  const names = section.split('\n').map((line) => /^ {2}(\S+)/.exec(line)?.[1]).filter((name): name is string => name !== undefined);
  // The help pages are read all at once: each is a process of its own.
  const tables = await Promise.all(names.map(async (name) => {
    const help = (await venn([name, '--help'])).stdout;
    // Subcommands: a "subcommands:" section, several usage lines, or "venn NAME WORD" in the text.
    const candidates = new Set<string>();
    const listed = help.split('\nsubcommands:\n')[1]?.split('\n\n')[0] ?? '';
    for (const line of listed.split('\n')) { const word = /^ {2}([a-z][a-z-]*)\s/.exec(line)?.[1]; if (word !== undefined) candidates.add(word); }
    for (const match of help.matchAll(new RegExp(`venn ${name} ([a-z][a-z-]*)\\b`, 'g'))) candidates.add(match[1]!);
    const subs: string[] = [];
    // An action in the command's own usage line: "venn peers [options] [clear PEER]".
    for (const match of (help.split('\n')[0] ?? '').matchAll(/\[([a-z][a-z-]*) [A-Z]+\]/g)) subs.push(`${name} ${match[1]!}`);
    const pages = await Promise.all([...candidates].map(async (word) => [word, await venn([name, word, '--help'])] as const));
    for (const [word, sub] of pages) {
      if (!subs.includes(`${name} ${word}`) && sub.code === 0 && sub.stdout.startsWith(`usage: venn ${name} ${word} `)) subs.push(`${name} ${word}`);
    }
    // A command whose only forms are subcommands (roster, id, audit) is not run on its own.
    const bare = !/^usage: venn \S+ (<subcommand>|[a-z][a-z-]* )/.test(help) || /^usage: venn \S+ \[options\]/.test(help);
    return [...(bare ? [name] : []), ...subs];
  }));
  const all = tables.flat();
  return all.sort();
}

/** Commands that print no data, with the reason; every other command must take --json. */
const PRINTS_NO_DATA: Record<string, string> = {
  start: 'the daemon: its output is its log, JSON lines by default (--log-format), not a result',
  demo: 'a demonstration for a person: running commentary, its checks are the exit code (the data it shows comes from the other commands, each with --json)',
};

describe('--json on every command that prints data, run for real', () => {
  let federation: Federation;
  let a: NodeProcess;
  let b: NodeProcess;
  const work = join(root, 'json');
  const runs: Record<string, () => Promise<string[]>> = {};
  const parsed = new Map<string, unknown>();
  let roundId = '';

  beforeAll(async () => {
    federation = await Federation.create({ ids: ['lab-a', 'lab-b'] });
    a = federation.node('lab-a');
    b = federation.node('lab-b');
    await federation.ingest('lab-a', emails(0, 20));
    await federation.ingest('lab-b', emails(10, 30));
    mkdirSync(work);
    writeFileSync(join(work, 'list.csv'), 'email\nj1@example.com\nj2@example.com\n');
  }, 120_000);
  afterAll(() => federation.close());

  // In order: the daemon runs for round and backup, is stopped for restore.
  Object.assign(runs, {
    init: async () => ['init', '--dir', join(work, 'lab-x'), '--id', 'lab-x', '--listen', '127.0.0.1:7291', '--json'],
    'roster build': async () => {
      writeFileSync(join(work, 'lab-x.entry.json'), (await venn(['init', '--dir', join(work, 'lab-y'), '--id', 'lab-y', '--listen', '127.0.0.1:7292'])).stdout);
      return ['roster', 'build', '--name', 'json', '--out', join(work, 'roster.json'), join(work, 'lab-x.entry.json'), join(federation.root, 'lab-a.entry.json'), '--json'];
    },
    'roster use': async () => ['roster', 'use', '--dir', join(work, 'lab-y'), join(work, 'roster.json'), '--json'],
    ingest: async () => ['ingest', '--dir', a.dir, '--kind', 'email', '--list', 'json', join(work, 'list.csv'), '--json'],
    remove: async () => ['remove', '--dir', a.dir, '--list', 'json', join(work, 'list.csv'), '--json'],
    lists: async () => ['lists', '--dir', a.dir, '--json'],
    'lists drop': async () => ['lists', 'drop', '--dir', a.dir, 'json', '--json'],
    round: async () => {
      await federation.startAll(Date.now());
      return ['round', '--dir', a.dir, '--peer', 'lab-b', '--json'];
    },
    rounds: async () => ['rounds', '--dir', a.dir, '--json'],
    matches: async () => ['matches', '--dir', a.dir, '--json'],
    status: async () => ['status', '--dir', a.dir, '--json'],
    peers: async () => ['peers', '--dir', a.dir, '--json'],
    'id hash': async () => ['id', 'hash', '--kind', 'email', 'J1@Example.com', '--json'],
    'audit export': async () => ['audit', 'export', '--dir', a.dir, '--round', roundId, '--out', join(work, 'round.bundle'), '--json'],
    'audit verify': async () => ['audit', 'verify', join(work, 'round.bundle'), '--roster', federation.rosterPath, '--json'],
    'audit head': async () => ['audit', 'head', '--dir', a.dir, '--json'],
    'audit prove': async () => ['audit', 'prove', '--dir', a.dir, '--round', roundId, '--json'],
    'audit export-log': async () => {
      const other = await venn(['audit', 'export-log', '--dir', b.dir, '--out', join(work, 'lab-b.log')]);
      expect(other.code, other.stderr).toBe(0);
      return ['audit', 'export-log', '--dir', a.dir, '--out', join(work, 'lab-a.log'), '--json'];
    },
    'audit cross-check': async () => ['audit', 'cross-check', join(work, 'lab-a.log'), join(work, 'lab-b.log'), '--roster', federation.rosterPath, '--json'],
    backup: async () => ['backup', '--dir', a.dir, '--out', join(work, 'a.backup'), '--json'],
    restore: async () => {
      await a.stop();
      return ['restore', '--dir', a.dir, join(work, 'a.backup'), '--json'];
    },
    'peers clear': async () => {
      const db = new Database(join(a.dir, 'venn.db'));
      db.prepare('INSERT INTO peer_suspensions (peer_id, suspended_at, abandonments, detail) VALUES (?, ?, ?, ?)').run('lab-b', Date.now(), 3, 'set up by the test');
      db.close();
      return ['peers', 'clear', 'lab-b', '--dir', a.dir, '--by', 'tester', '--json'];
    },
    synth: async () => ['synth', '--out', join(work, 'synth'), '--labs', '2', '--size', '20', '--json'],
    version: async () => ['version', '--json'],
    'epochs look': async () => {
      // A look needs a roster with key epochs (node.md §10.3): lab-b's daemon reloads one (lab-a is stopped since restore).
      const rosterPath = join(work, 'roster-epochs.json');
      const built = await venn(['roster', 'build', '--name', 'venn-test', '--epoch', '2', '--schedule', '0 0 1 1 *', '--window', '10', '--epoch-days', '1', '--incremental-minutes', '60',
        '--out', rosterPath, join(federation.root, 'lab-a.entry.json'), join(federation.root, 'lab-b.entry.json')]);
      expect(built.code, built.stderr).toBe(0);
      const used = await venn(['roster', 'use', '--dir', b.dir, rosterPath]);
      expect(used.code, used.stderr).toBe(0);
      return ['epochs', 'look', '--dir', b.dir, '--json'];
    },
  });

  it('the runs below cover the command table: each command is run with --json or prints no data for a stated reason', async () => {
    const table = await commandTable();
    expect(table).toContain('audit verify');
    expect(table).toContain('lists drop');
    expect(table).toContain('roster build');
    expect(table).toContain('peers clear');
    expect([...Object.keys(runs), ...Object.keys(PRINTS_NO_DATA)].sort()).toEqual(table);
  }, 120_000);

  it('each command prints JSON on stdout with --json', async () => {
    for (const [command, args] of Object.entries(runs)) {
      const result = await venn(await args());
      expect(result.code, `${command}: ${result.stderr}`).toBe(0);
      // venn id hash prints JSON lines: one object per identifier.
      const value = command === 'id hash' ? result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown) : JSON.parse(result.stdout) as unknown;
      parsed.set(command, value);
      if (command === 'round') roundId = (value as { roundId: string }).roundId;
    }
    expect(parsed.get('round')).toMatchObject({ status: 'completed', intersectionSize: 10 });
    expect(parsed.get('audit export')).toMatchObject({ file: join(work, 'round.bundle'), roundId, status: 'completed' });
    expect(parsed.get('audit export-log')).toMatchObject({ file: join(work, 'lab-a.log'), log: 'lab-a', leaves: 1 });
    expect(parsed.get('audit verify')).toMatchObject({ valid: true });
    expect(parsed.get('epochs look')).toEqual([expect.objectContaining({ peer: 'lab-a', action: expect.stringMatching(/^(round|nudge)$/) as string, index: 0 })]);
  }, 240_000);

  it('venn audit verify on a completed bundle with a flipped bit names the check that failed and the party, never a missing ABORT', async () => {
    const bundle = readFileSync(join(work, 'round.bundle'));
    const positions = Array.from({ length: 24 }, (_, i) => Math.floor(((i + 0.5) * bundle.length) / 24));
    const verdicts: string[] = [];
    for (const position of positions) {
      const flipped = Buffer.from(bundle);
      flipped[position] ^= 0x10;
      const path = join(work, `flipped-${position}.bundle`);
      writeFileSync(path, flipped);
      const result = await venn(['audit', 'verify', path, '--roster', federation.rosterPath]);
      expect(result.code, `bit flipped at ${position}`).toBe(1);
      expect(result.stderr, `bit flipped at ${position}`).toMatch(/^venn audit verify: invalid: check "[a-z-]+" failed; party at fault: (initiator \(lab-a\)|responder \(lab-b\)|exporter \(lab-a\)|undetermined): [^\n]+\n$/);
      expect(result.stderr, `bit flipped at ${position}`).not.toMatch(/ABORT/);
      verdicts.push(result.stderr);
    }
    // Spread over the whole bundle, the flips land in both parties' frames and name the field.
    const checks = new Set(verdicts.map((verdict) => /check "([a-z-]+)"/.exec(verdict)![1]));
    expect(checks).toContain('messages-initiator');
    expect(checks).toContain('messages-responder');
    expect(verdicts.some((verdict) => /party at fault: initiator \(lab-a\): lab-a frame \d+: "(blinded|evaluated) chunk \d+\[\d+\]" expected a canonical ristretto255 encoding/.test(verdict))).toBe(true);
    // lab-b's frames under lab-a's completed leaf: a flipped bit there is lab-a's account, not lab-b's
    // fault (audit.md §9.1, "A completed or disputed leaf"), and the detail says why.
    expect(verdicts.some((verdict) => /party at fault: exporter \(lab-a\): the leaf logs the round completed, but no FINISH signature of lab-b verifies over the recomputed TH_final, so its frames are lab-a's account; an exporter that finished the round had checked them \(lab-b frame \d+: /.test(verdict))).toBe(true);
    expect(verdicts.some((verdict) => /party at fault: responder \(lab-b\)/.test(verdict))).toBe(false);
  }, 120_000);

  it('venn matches --json is --format json', async () => {
    const json = await venn(['matches', '--dir', a.dir, '--json']);
    const format = await venn(['matches', '--dir', a.dir, '--format', 'json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as unknown[]).length).toBe(10);
    expect(json.stdout).toBe(format.stdout);
  });
});
