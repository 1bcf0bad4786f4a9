#!/usr/bin/env node
/**
 * Ingest benchmark (issue 3): generates a CSV of N rows per kind with a seeded generator, then
 * ingests each file in a fresh child process and prints rows/s and peak RSS.
 * Targets: email and device_id >= 100,000 rows/s, phone >= 10,000 rows/s, peak RSS < 200 MB.
 *
 *   node bench/ingest.mjs [--rows 1000000] [--kinds email,device_id,phone] [--dir DIR] [--keep] [--no-dedup]
 *
 * Duplicate detection keeps about 40 bytes per distinct row in memory unless the caller passes
 * `seen` (the daemon dedups through its store); --no-dedup measures the reader alone that way.
 * Runs against dist/: build first (`tsc -b`), which the package's bench:ingest script does.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));
const TARGETS = { email: 100_000, device_id: 100_000, phone: 10_000 };
const MAX_RSS_MB = 200;

// ---- child: ingest one file and report ---------------------------------------------------

async function child(kind, path, dedup) {
  const { ingestFile } = await import('../dist/index.js');
  let records = 0;
  const started = performance.now();
  const summary = await ingestFile(path, {
    format: 'csv',
    kind,
    region: 'US',
    accountColumn: 'account_ref',
    ...(dedup ? {} : { seen: () => false }),
    onRecord: () => {
      records++;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  // resourceUsage().maxRSS is the kernel's high-water mark for this process, in KiB.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ...summary, records, seconds, peakRssMb })}\n`);
}

// ---- parent: generate, run, report -------------------------------------------------------

/** mulberry32: a small seeded PRNG, so every run ingests the same files. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'zoe'];
const DOMAINS = ['example.com', 'mail.example.org', 'gmail.com', 'outlook.com', 'proton.me', 'yahoo.co.jp', 'example.de', 'bücher.example', 'uni-example.edu'];
const AREAS = ['201', '202', '212', '213', '305', '312', '404', '415', '617', '646', '702', '713', '718', '805', '917'];

function generator(kind, random) {
  const int = (n) => Math.floor(random() * n);
  const hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)];
    return s;
  };
  const mixCase = (s) => (random() < 0.2 ? s.toUpperCase() : s);
  const space = (s) => (random() < 0.05 ? ` ${s} ` : s);
  switch (kind) {
    case 'email':
      return (i) => space(mixCase(`${WORDS[int(WORDS.length)]}.${i.toString(36)}${random() < 0.1 ? '+tag' : ''}@${DOMAINS[int(DOMAINS.length)]}`));
    case 'device_id':
      return () => {
        if (random() < 0.2) return mixCase(hex(16));
        const u = hex(32);
        return space(mixCase(`${u.slice(0, 8)}-${u.slice(8, 12)}-4${u.slice(13, 16)}-${u.slice(16, 20)}-${u.slice(20)}`));
      };
    case 'phone':
      return () => {
        const area = AREAS[int(AREAS.length)];
        const exchange = String(200 + int(800));
        const line = String(int(10_000)).padStart(4, '0');
        switch (int(5)) {
          case 0:
            return `(${area}) ${exchange}-${line}`;
          case 1:
            return `+1 ${area} ${exchange} ${line}`;
          case 2:
            return `${area}.${exchange}.${line}`;
          case 3:
            return `+44 20 7946 ${line}`;
          default:
            return `+1${area}${exchange}${line}`;
        }
      };
    default:
      throw new Error(`no generator for kind ${kind}`);
  }
}

function csvField(value) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** N data rows; about 1% repeat an earlier value and 0.1% are invalid, so every path runs. */
async function generate(kind, rows, path) {
  const random = prng(0x5eed + kind.length);
  const next = generator(kind, random);
  const out = createWriteStream(path);
  out.write(`account_ref,${kind}\n`);
  const recent = [];
  let batch = '';
  for (let i = 0; i < rows; i++) {
    let value;
    const roll = random();
    if (roll < 0.001) value = 'not a valid value';
    else if (roll < 0.011 && recent.length > 0) value = recent[Math.floor(random() * recent.length)];
    else value = next(i);
    if (recent.length < 1000) recent.push(value);
    else recent[i % 1000] = value;
    batch += `acct-${i},${csvField(value)}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
}

async function parent() {
  // `pnpm run bench:ingest -- --rows N` passes the "--" through.
  const args = process.argv.slice(2);
  if (args[0] === '--') args.shift();
  const { values } = parseArgs({
    args,
    options: {
      rows: { type: 'string', default: '1000000' },
      kinds: { type: 'string', default: 'email,device_id,phone' },
      dir: { type: 'string', default: resolve(here, '../.venn-tmp/bench') },
      keep: { type: 'boolean', default: false },
      'no-dedup': { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`--rows expected a positive integer, got ${values.rows}`);
  const kinds = values.kinds.split(',');
  mkdirSync(values.dir, { recursive: true });
  const dedup = !values['no-dedup'];
  console.log(`ingest benchmark: ${rows.toLocaleString('en-US')} rows per kind, ${dedup ? 'in-memory duplicate detection' : 'no duplicate detection (seen: () => false)'}, node ${process.version}, ${process.platform}/${process.arch}`);
  console.log('kind        rows/s     target    peak RSS  accepted  duplicates  rejected  file');
  let ok = true;
  for (const kind of kinds) {
    const path = join(values.dir, `${kind}-${rows}.csv`);
    await generate(kind, rows, path);
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, path, dedup ? 'dedup' : 'no-dedup'], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      throw new Error(`${kind}: child exited with ${run.status}`);
    }
    const result = JSON.parse(run.stdout);
    const rate = result.rows / result.seconds;
    const target = TARGETS[kind];
    // The targets are for 1,000,000-row files; smaller runs are dominated by start-up and JIT warm-up.
    const judged = rows >= 1_000_000;
    const pass = (target === undefined || rate >= target) && result.peakRssMb < MAX_RSS_MB;
    if (judged) ok &&= pass;
    const mb = (statSync(path).size / 1e6).toFixed(1);
    console.log(
      `${kind.padEnd(10)} ${Math.round(rate).toLocaleString('en-US').padStart(8)}  ${(target === undefined ? '-' : `>=${target.toLocaleString('en-US')}`).padStart(9)}  ${result.peakRssMb.toFixed(0).padStart(5)} MB  ${String(result.accepted).padStart(8)}  ${String(result.duplicates).padStart(10)}  ${String(result.rejected).padStart(8)}  ${mb} MB ${judged ? (pass ? 'PASS' : 'FAIL') : ''}`,
    );
    if (!values.keep) {
      rmSync(path, { force: true });
      if (result.rejectsPath !== null) rmSync(result.rejectsPath, { force: true });
    }
  }
  console.log(
    rows >= 1_000_000 ? `peak RSS target: < ${MAX_RSS_MB} MB per process. ${ok ? 'All targets met.' : 'Some targets missed.'}` : 'Targets are judged on runs of at least 1,000,000 rows.',
  );
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5] === 'dedup');
} else {
  await parent();
}
