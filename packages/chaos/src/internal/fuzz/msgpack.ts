/**
 * A lenient msgpack reader and a writer that can choose wider encodings, for mutating the
 * structure of valid Venn msgpack files (messages, bundles, exported logs) rather than their
 * bytes alone. Not a codec for Venn itself: it accepts what Venn's strict codecs refuse.
 */
export type Node =
  | { t: 'nil' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint; wide?: boolean }
  | { t: 'float'; v: number }
  | { t: 'str'; b: Uint8Array; wide?: boolean }
  | { t: 'bin'; b: Uint8Array; wide?: boolean }
  | { t: 'arr'; items: Node[]; wide?: boolean }
  | { t: 'map'; entries: Array<[Node, Node]>; wide?: boolean }
  | { t: 'raw'; b: Uint8Array };

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new RangeError('truncated');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint(n: number): number {
    const b = this.take(n);
    let v = 0;
    for (const byte of b) v = v * 256 + byte;
    return v;
  }

  big(n: number, signed: boolean): bigint {
    const b = this.take(n);
    let v = 0n;
    for (const byte of b) v = (v << 8n) | BigInt(byte);
    if (signed && (b[0]! & 0x80) !== 0) v -= 1n << BigInt(8 * n);
    return v;
  }
}

function read(r: Reader, depth: number): Node {
  if (depth > 16) throw new RangeError('too deep');
  const type = r.uint(1);
  if (type <= 0x7f) return { t: 'int', v: BigInt(type) };
  if (type >= 0xe0) return { t: 'int', v: BigInt(type - 256) };
  if ((type & 0xf0) === 0x80) return readMap(r, type & 0x0f, depth, false);
  if ((type & 0xf0) === 0x90) return readArray(r, type & 0x0f, depth, false);
  if ((type & 0xe0) === 0xa0) return { t: 'str', b: r.take(type & 0x1f) };
  switch (type) {
    case 0xc0: return { t: 'nil' };
    case 0xc2: return { t: 'bool', v: false };
    case 0xc3: return { t: 'bool', v: true };
    case 0xc4: return { t: 'bin', b: r.take(r.uint(1)) };
    case 0xc5: return { t: 'bin', b: r.take(r.uint(2)), wide: true };
    case 0xc6: return { t: 'bin', b: r.take(r.uint(4)), wide: true };
    case 0xca: return { t: 'float', v: new DataView(r.take(4).slice().buffer).getFloat32(0) };
    case 0xcb: return { t: 'float', v: new DataView(r.take(8).slice().buffer).getFloat64(0) };
    case 0xcc: return { t: 'int', v: r.big(1, false) };
    case 0xcd: return { t: 'int', v: r.big(2, false) };
    case 0xce: return { t: 'int', v: r.big(4, false) };
    case 0xcf: return { t: 'int', v: r.big(8, false) };
    case 0xd0: return { t: 'int', v: r.big(1, true) };
    case 0xd1: return { t: 'int', v: r.big(2, true) };
    case 0xd2: return { t: 'int', v: r.big(4, true) };
    case 0xd3: return { t: 'int', v: r.big(8, true) };
    case 0xd9: return { t: 'str', b: r.take(r.uint(1)) };
    case 0xda: return { t: 'str', b: r.take(r.uint(2)), wide: true };
    case 0xdb: return { t: 'str', b: r.take(r.uint(4)), wide: true };
    case 0xdc: return readArray(r, r.uint(2), depth, true);
    case 0xdd: return readArray(r, r.uint(4), depth, true);
    case 0xde: return readMap(r, r.uint(2), depth, true);
    case 0xdf: return readMap(r, r.uint(4), depth, true);
    default: throw new RangeError(`type 0x${type.toString(16)}`);
  }
}

function readArray(r: Reader, n: number, depth: number, wide: boolean): Node {
  const items: Node[] = [];
  for (let i = 0; i < n; i++) items.push(read(r, depth + 1));
  return { t: 'arr', items, wide };
}

function readMap(r: Reader, n: number, depth: number, wide: boolean): Node {
  const entries: Array<[Node, Node]> = [];
  for (let i = 0; i < n; i++) entries.push([read(r, depth + 1), read(r, depth + 1)]);
  return { t: 'map', entries, wide };
}

/** The one msgpack value of `bytes`, or undefined when it is not msgpack this reader knows. */
export function parseMsgpack(bytes: Uint8Array): Node | undefined {
  try {
    const r = new Reader(bytes);
    const node = read(r, 0);
    return r.pos === bytes.length ? node : undefined;
  } catch {
    return undefined;
  }
}

function be(value: bigint, n: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(8 * n, value);
  for (let i = 0; i < n; i++) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function header(out: number[], length: number, small: [number, number] | null, eight: number | null, sixteen: number, thirtyTwo: number, wide: boolean | undefined): void {
  if (!wide && small !== null && length < small[1]) out.push(small[0] | length);
  else if (!wide && eight !== null && length < 256) out.push(eight, length);
  else if (length < 65536) out.push(sixteen, ...be(BigInt(length), 2));
  else out.push(thirtyTwo, ...be(BigInt(length), 4));
}

function write(node: Node, out: number[]): void {
  switch (node.t) {
    case 'nil': out.push(0xc0); return;
    case 'bool': out.push(node.v ? 0xc3 : 0xc2); return;
    case 'float': {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, node.v);
      out.push(0xcb, ...new Uint8Array(view.buffer));
      return;
    }
    case 'int': {
      const v = node.v;
      if (v >= 0n) {
        if (!node.wide && v < 128n) out.push(Number(v));
        else if (!node.wide && v < 256n) out.push(0xcc, Number(v));
        else if (!node.wide && v < 65536n) out.push(0xcd, ...be(v, 2));
        else if (v < 2n ** 32n && !node.wide) out.push(0xce, ...be(v, 4));
        else out.push(0xcf, ...be(v, 8));
      } else if (!node.wide && v >= -32n) out.push(Number(256n + v));
      else if (!node.wide && v >= -128n) out.push(0xd0, ...be(v, 1));
      else if (!node.wide && v >= -32768n) out.push(0xd1, ...be(v, 2));
      else if (!node.wide && v >= -(2n ** 31n)) out.push(0xd2, ...be(v, 4));
      else out.push(0xd3, ...be(v, 8));
      return;
    }
    case 'str':
      header(out, node.b.length, [0xa0, 32], 0xd9, 0xda, 0xdb, node.wide);
      for (const b of node.b) out.push(b);
      return;
    case 'bin':
      header(out, node.b.length, null, 0xc4, 0xc5, 0xc6, node.wide);
      for (const b of node.b) out.push(b);
      return;
    case 'arr':
      header(out, node.items.length, [0x90, 16], null, 0xdc, 0xdd, node.wide);
      for (const item of node.items) write(item, out);
      return;
    case 'map':
      header(out, node.entries.length, [0x80, 16], null, 0xde, 0xdf, node.wide);
      for (const [k, v] of node.entries) {
        write(k, out);
        write(v, out);
      }
      return;
    case 'raw':
      for (const b of node.b) out.push(b);
      return;
  }
}

export function encodeMsgpack(node: Node): Uint8Array {
  const out: number[] = [];
  write(node, out);
  return Uint8Array.from(out);
}

/** Every node of the tree, parents before children, with a setter that replaces it in place. */
export function nodesOf(root: Node): Array<{ node: Node; replace: (next: Node) => void }> {
  const out: Array<{ node: Node; replace: (next: Node) => void }> = [];
  const visit = (node: Node, replace: (next: Node) => void): void => {
    out.push({ node, replace });
    if (node.t === 'arr') node.items.forEach((item, i) => visit(item, (next) => { node.items[i] = next; }));
    if (node.t === 'map') {
      node.entries.forEach((entry, i) => {
        visit(entry[0], (next) => { node.entries[i] = [next, node.entries[i]![1]]; });
        visit(entry[1], (next) => { node.entries[i] = [node.entries[i]![0], next]; });
      });
    }
  };
  let current = root;
  visit(root, (next) => { current = next; });
  void current;
  return out;
}

export function cloneNode(node: Node): Node {
  switch (node.t) {
    case 'arr': return { ...node, items: node.items.map(cloneNode) };
    case 'map': return { ...node, entries: node.entries.map(([k, v]) => [cloneNode(k), cloneNode(v)] as [Node, Node]) };
    case 'str': case 'bin': case 'raw': return { ...node, b: node.b.slice() };
    default: return { ...node };
  }
}
