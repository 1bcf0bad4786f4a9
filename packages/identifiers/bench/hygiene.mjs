#!/usr/bin/env node
/**
 * Cost of the hygiene list (protocol-spec/identifiers.md §12) per value: hashIdentifier with the
 * built-in list against the bare canonical form ({ hygiene: false }), per kind, alternating the
 * two so that a drift of the machine's speed hits both. Prints ns per value and the load average.
 *   node bench/hygiene.mjs [--values 100000] [--rounds 3]
 * Run `tsc -b` first (npm run bench:hygiene does).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hashIdentifier } from '../dist/index.js';

const { values: args } = parseArgs({ options: { values: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } });
const n = Number(args.values);
const rounds = Number(args.rounds);
if (!Number.isSafeInteger(n) || n < 1000 || !Number.isSafeInteger(rounds) || rounds < 1) throw new Error('--values expected an integer >= 1000, --rounds an integer >= 1');

// Values that are not on the list, so both variants do the same canonicalization work.
const generators = {
  email: (i) => `user.${i.toString(36)}@example.com`,
  phone: (i) => `+1 212 ${300 + (i % 200)} ${String(i % 10000).padStart(4, '0')}`,
  device_id: (i) => (i % 5 ? `${i.toString(16).padStart(8, '0')}-e29b-41d4-a716-446655440000` : i.toString(16).padStart(16, 'a')),
  ip: (i) => (i % 2 ? `2001:db8:${(i % 65536).toString(16)}::${i.toString(16)}` : `198.${18 + (i % 2)}.${(i >> 8) & 255}.${i & 255}`),
  ip_v6_64: (i) => `2001:db8:${(i % 65536).toString(16)}:${(i >> 16).toString(16)}::1`,
  account: (i) => `${i % 2 ? 'github' : 'gitea'}:User${i}`,
};

function run(kind, hygiene) {
  const make = generators[kind];
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) hashIdentifier(kind, make(i), { hygiene });
  return Number(process.hrtime.bigint() - started) / n;
}

console.log(`hygiene benchmark: ${n.toLocaleString('en-US')} values per kind, ${rounds} rounds, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('kind         bare ns/value  with list ns/value  ratio');
for (const kind of Object.keys(generators)) {
  run(kind, false);
  run(kind, undefined);
  const bare = [];
  const listed = [];
  for (let r = 0; r < rounds; r++) {
    bare.push(run(kind, false));
    listed.push(run(kind, undefined));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [b, l] = [median(bare), median(listed)];
  console.log(`${kind.padEnd(12)} ${b.toFixed(0).padStart(13)}  ${l.toFixed(0).padStart(18)}  ${(l / b).toFixed(2)}`);
}
console.log(`load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
