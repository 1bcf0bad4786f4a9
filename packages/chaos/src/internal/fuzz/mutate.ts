/**
 * Mutations of valid inputs: byte-level (flips, interesting values, cuts, splices, random bytes)
 * and structure-aware for msgpack trees, JSON documents and line-oriented text (CSV, JSONL), so
 * that most inputs get past the first length check and reach the deeper rules of each decoder.
 */
import type { SeededRandom } from '../random.js';
import { cloneNode, encodeMsgpack, nodesOf, parseMsgpack, type Node } from './msgpack.js';

export type Structure = 'msgpack' | 'json' | 'lines' | 'binary';

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xc0, 0xc1, 0xc4, 0xcf, 0xd3, 0xdf, 0xff, 0x20, 0x2c, 0x22, 0x0a, 0x0d];
const INTERESTING_INTS = [0n, 1n, 2n, 3n, 31n, 32n, 63n, 64n, 127n, 128n, 255n, 256n, 65535n, 65536n, 1048575n, 1048576n, 1048577n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n,
  2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, -1n, -32n, -33n, -128n, -(2n ** 63n)];
const INTERESTING_LENGTHS = [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 112, 113, 114, 255, 256, 377, 378];

export function mutateBytes(random: SeededRandom, input: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const rounds = random.int(1, random.chance(0.8) ? 3 : 12);
  for (let i = 0; i < rounds; i++) {
    const at = bytes.length === 0 ? 0 : random.int(0, bytes.length - 1);
    switch (random.int(0, 9)) {
      case 0: if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << random.int(0, 7)); break;
      case 1: if (bytes.length > 0) bytes[at] = random.pick(INTERESTING_BYTES); break;
      case 2: if (bytes.length > 0) bytes[at] = random.int(0, 255); break;
      case 3: bytes = bytes.subarray(0, random.int(0, bytes.length)).slice(); break;
      case 4: { const cut = random.int(1, Math.min(64, Math.max(1, bytes.length))); bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + cut))); break; }
      case 5: bytes = concat(bytes.subarray(0, at), random.bytes(random.int(1, 16)), bytes.subarray(at)); break;
      case 6: { const len = random.int(1, Math.min(64, Math.max(1, bytes.length - at))); bytes = concat(bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)); break; }
      case 7: {
        const other = others.length === 0 ? bytes : random.pick(others);
        const from = random.int(0, other.length);
        bytes = concat(bytes.subarray(0, at), other.subarray(from, from + random.int(0, 128)));
        break;
      }
      case 8: if (bytes.length >= 2) { const v = random.pick([0, 0xffff, 0x7fff, 0x8000, random.int(0, 0xffff)]); bytes[at] = v >> 8; if (at + 1 < bytes.length) bytes[at + 1] = v & 0xff; } break;
      default: bytes = concat(bytes, random.bytes(random.int(1, 32))); break;
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const utf8 = new TextEncoder();

function mutateNode(random: SeededRandom, node: Node, donors: readonly Node[]): Node {
  switch (random.int(0, 5)) {
    case 0: if (donors.length > 0) return cloneNode(random.pick(donors)); break;
    case 1: return random.pick<Node>([{ t: 'nil' }, { t: 'bool', v: random.chance(0.5) }, { t: 'int', v: random.pick(INTERESTING_INTS) }, { t: 'float', v: random.pick([0.5, -0, NaN, Infinity, 2 ** 53]) },
      { t: 'str', b: utf8.encode(random.pick(['', 'x', 'lab-a', 'intersection', 'cardinality', 'category', 'A'.repeat(70), 'é', '\u0000'])) }, { t: 'bin', b: random.bytes(random.pick(INTERESTING_LENGTHS)) }, { t: 'arr', items: [] }, { t: 'map', entries: [] }]);
    default: break;
  }
  switch (node.t) {
    case 'int': {
      const choice = random.int(0, 3);
      if (choice === 0) return { t: 'int', v: node.v, wide: true };
      if (choice === 1) return { t: 'int', v: node.v + BigInt(random.pick([-1, 1])) };
      return { t: 'int', v: random.pick(INTERESTING_INTS) };
    }
    case 'str': {
      const choice = random.int(0, 5);
      if (choice === 0) return { t: 'str', b: node.b, wide: true };
      if (choice === 1) return { t: 'str', b: node.b.subarray(0, random.int(0, node.b.length)) };
      if (choice === 2) return { t: 'str', b: concat(node.b, random.pick([Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xed, 0xa0, 0x80), utf8.encode('-'), utf8.encode('A'), utf8.encode(' ')])) };
      if (choice === 3) return { t: 'str', b: utf8.encode('z'.repeat(random.pick([64, 65, 200, 513]))) };
      if (choice === 4) return { t: 'bin', b: node.b };
      return { t: 'str', b: mutateBytes(random, node.b, []) };
    }
    case 'bin': {
      const choice = random.int(0, 4);
      if (choice === 0) return { t: 'bin', b: node.b, wide: true };
      if (choice === 1) return { t: 'bin', b: node.b.subarray(0, Math.max(0, node.b.length - random.int(1, 2))) };
      if (choice === 2) return { t: 'bin', b: concat(node.b, random.bytes(random.int(1, 2))) };
      if (choice === 3) return { t: 'str', b: node.b };
      return { t: 'bin', b: mutateBytes(random, node.b, []) };
    }
    case 'arr': {
      const items = node.items.slice();
      const choice = random.int(0, 4);
      if (choice === 0 && items.length > 0) items.splice(random.int(0, items.length - 1), 1);
      else if (choice === 1 && items.length > 0) items.splice(random.int(0, items.length), 0, cloneNode(random.pick(items)));
      else if (choice === 2 && items.length > 1) items.reverse();
      else if (choice === 3) return { t: 'arr', items, wide: true };
      else return { t: 'arr', items: [] };
      return { t: 'arr', items };
    }
    case 'map': {
      const entries = node.entries.slice();
      const choice = random.int(0, 5);
      if (choice === 0 && entries.length > 0) entries.splice(random.int(0, entries.length - 1), 1);
      else if (choice === 1 && entries.length > 0) entries.push(random.pick(entries));
      else if (choice === 2) entries.push([{ t: 'str', b: utf8.encode(random.pick(['zz', 'x', '', 't'])) }, { t: 'int', v: 1n }]);
      else if (choice === 3 && entries.length > 1) entries.reverse();
      else if (choice === 4) return { t: 'map', entries, wide: true };
      else if (entries.length > 0) entries[random.int(0, entries.length - 1)] = [{ t: 'int', v: 7n }, { t: 'nil' }];
      return { t: 'map', entries };
    }
    case 'bool': return { t: 'bool', v: !node.v };
    default: return { t: 'nil' };
  }
  return node;
}

export function mutateMsgpack(random: SeededRandom, input: Uint8Array, others: readonly Uint8Array[]): Uint8Array | undefined {
  const tree = parseMsgpack(input);
  if (tree === undefined) return undefined;
  let root = tree;
  const donors = others.map(parseMsgpack).filter((n): n is Node => n !== undefined).flatMap((n) => nodesOf(n).map((entry) => entry.node)).slice(0, 200);
  const count = random.int(1, 3);
  for (let i = 0; i < count; i++) {
    const nodes = nodesOf(root);
    const target = random.pick(nodes);
    const next = mutateNode(random, target.node, donors);
    if (target.node === root) root = next;
    else target.replace(next);
  }
  return encodeMsgpack(root);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonNodes(root: Json): Array<{ value: Json; set: (v: Json | undefined) => void }> {
  const out: Array<{ value: Json; set: (v: Json | undefined) => void }> = [];
  const visit = (value: Json, set: (v: Json | undefined) => void): void => {
    out.push({ value, set });
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, (v) => { if (v === undefined) value.splice(i, 1); else value[i] = v; }));
    else if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) visit(value[key]!, (v) => { if (v === undefined) delete value[key]; else value[key] = v; });
  };
  visit(root, () => undefined);
  return out;
}

const JSON_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, -0, '', 'x', 'lab-a', 'A'.repeat(300), '\u0000', 'ws://127.0.0.1:1', 'Europe/Paris', '* * * * *', [], {}, [1, 2], { a: 1 }];

/** A copy: a shared array or object put into the tree would be mutated later, or put into itself. */
function fresh(value: Json): Json {
  return structuredClone(value);
}

export function mutateJson(random: SeededRandom, input: Uint8Array): Uint8Array | undefined {
  let root: Json;
  try {
    root = JSON.parse(new TextDecoder().decode(input)) as Json;
  } catch {
    return undefined;
  }
  const count = random.int(1, 3);
  for (let i = 0; i < count; i++) {
    const nodes = jsonNodes(root);
    const target = random.pick(nodes.slice(1).length > 0 ? nodes.slice(1) : nodes);
    const choice = random.int(0, 4);
    if (choice === 0) target.set(undefined);
    else if (choice === 1 && target.value !== null && typeof target.value === 'object' && !Array.isArray(target.value)) target.value[random.pick(['unknown', 'extra', '__proto__', 'constructor'])] = fresh(random.pick(JSON_VALUES));
    else if (choice === 2 && typeof target.value === 'number') target.set(random.pick([target.value + 1, target.value - 1, -target.value, target.value * 1000, 0.5]));
    else if (choice === 3 && typeof target.value === 'string') target.set(random.pick([`${target.value}x`, target.value.slice(1), target.value.toUpperCase(), `${target.value} `, '']));
    else target.set(fresh(random.pick(JSON_VALUES)));
  }
  return utf8.encode(JSON.stringify(root));
}

const LINE_JUNK = ['"', ',', '""', '\r', '\u0000', '\ufeff', '\u2028', '\\', '{', '}', '[', ':', 'null', '😀', 'é', '\t', ' '.repeat(40)];

export function mutateLines(random: SeededRandom, input: Uint8Array): Uint8Array {
  const lines = new TextDecoder().decode(input).split('\n');
  const count = random.int(1, 4);
  for (let i = 0; i < count; i++) {
    const at = random.int(0, Math.max(0, lines.length - 1));
    const line = lines[at] ?? '';
    switch (random.int(0, 7)) {
      case 0: lines.splice(at, 0, line); break;
      case 1: if (lines.length > 1) lines.splice(at, 1); break;
      case 2: { const pos = random.int(0, line.length); lines[at] = line.slice(0, pos) + random.pick(LINE_JUNK) + line.slice(pos); break; }
      case 3: lines[at] = line.slice(0, random.int(0, line.length)); break;
      case 4: lines[at] = line + random.pick(['x', 'a'.repeat(random.int(100, 5000)), ',,,,', '"unterminated']); break;
      case 5: { const other = random.int(0, Math.max(0, lines.length - 1)); lines[at] = lines[other] ?? ''; lines[other] = line; break; }
      case 6: lines.splice(at, 0, random.pick(['', ',', '"a,b",c', '{}', '[]', '{"email":null}', '\r'])); break;
      default: lines[at] = line.split(',').reverse().join(','); break;
    }
  }
  const text = utf8.encode(lines.join(random.chance(0.1) ? '\r\n' : '\n'));
  return random.chance(0.15) ? mutateBytes(random, text, []) : text;
}

/** One mutant of a seed, structure-aware most of the time, raw bytes otherwise. */
export function mutate(random: SeededRandom, structure: Structure, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const structured = random.chance(0.6);
  if (structured) {
    if (structure === 'msgpack') return mutateMsgpack(random, seed, others) ?? mutateBytes(random, seed, others);
    if (structure === 'json') return mutateJson(random, seed) ?? mutateBytes(random, seed, others);
    if (structure === 'lines') return mutateLines(random, seed);
  }
  if (random.chance(0.03)) return random.bytes(random.int(0, 512));
  return mutateBytes(random, seed, others);
}
