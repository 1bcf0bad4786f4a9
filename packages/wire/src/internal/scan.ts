/**
 * Structural pre-scan of an untrusted msgpack frame (SPEC §5.1), run before msgpackr sees it.
 * It walks the bytes once, in time linear in the frame, without allocating anything proportional
 * to a claimed length.
 */
import { CodecError } from '@venn/errors';
import { MAX_ARRAY_ITEMS, MAX_MAP_ENTRIES, MAX_NESTING_DEPTH } from './constants.js';

/**
 * Checks that `frame` is exactly one msgpack value built only from the types Venn uses (nil, bool,
 * non-negative int ≤ 2^53−1, str, bin, array, map with str keys), nested at most MAX_NESTING_DEPTH
 * deep, with no map over MAX_MAP_ENTRIES entries or array over MAX_ARRAY_ITEMS items, every claimed
 * length inside the frame and no duplicate map keys.
 */
export function scanFrame(frame: Uint8Array): void {
  const scanner = new Scanner(frame);
  scanner.value(0);
  if (scanner.position !== frame.length) {
    throw new CodecError('trailing-bytes', `frame has ${frame.length - scanner.position} bytes after the message`);
  }
}

class Scanner {
  position = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private remaining(): number {
    return this.bytes.length - this.position;
  }

  /** Fails unless `count` more bytes exist; every claimed length passes through here first. */
  private need(count: number, what: string): void {
    if (count > this.remaining()) {
      throw new CodecError(
        'truncated',
        `${what} claims ${count} bytes but only ${this.remaining()} remain in the frame`,
      );
    }
  }

  private u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.position++]!;
  }

  private u16(what: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.position);
    this.position += 2;
    return value;
  }

  private u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  private skip(count: number, what: string): void {
    this.need(count, what);
    this.position += count;
  }

  /** Scans one value; `depth` counts the containers it sits in. */
  value(depth: number): void {
    const at = this.position;
    const token = this.u8('value');
    if (token <= 0x7f) return; // positive fixint
    if (token <= 0x8f) return this.map(token & 0x0f, depth, at);
    if (token <= 0x9f) return this.array(token & 0x0f, depth, at);
    if (token <= 0xbf) return this.skip(token & 0x1f, 'fixstr');
    switch (token) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        return;
      case 0xc4:
        return this.skip(this.u8('bin8 length'), 'bin8');
      case 0xc5:
        return this.skip(this.u16('bin16 length'), 'bin16');
      case 0xc6:
        return this.skip(this.u32('bin32 length'), 'bin32');
      case 0xcc:
        return this.skip(1, 'uint8');
      case 0xcd:
        return this.skip(2, 'uint16');
      case 0xce:
        return this.skip(4, 'uint32');
      case 0xcf: {
        this.need(8, 'uint64');
        const high = this.view.getUint32(this.position);
        this.position += 8;
        // SPEC §5.1: integers must be exact JavaScript numbers, i.e. below 2^53.
        if (high >= 0x0020_0000) {
          throw new CodecError('out-of-range', `uint64 at offset ${at} exceeds 2^53-1`);
        }
        return;
      }
      case 0xd9:
        return this.skip(this.u8('str8 length'), 'str8');
      case 0xda:
        return this.skip(this.u16('str16 length'), 'str16');
      case 0xdb:
        return this.skip(this.u32('str32 length'), 'str32');
      case 0xdc:
        return this.array(this.u16('array16 length'), depth, at);
      case 0xdd:
        return this.array(this.u32('array32 length'), depth, at);
      case 0xde:
        return this.map(this.u16('map16 length'), depth, at);
      case 0xdf:
        return this.map(this.u32('map32 length'), depth, at);
      default:
        // Floats, negative integers, extensions (msgpackr records, structured clone, timestamps) and
        // the reserved 0xc1 have no place in a Venn message.
        throw new CodecError(
          'forbidden-type',
          `msgpack type 0x${token.toString(16).padStart(2, '0')} at offset ${at} is not allowed in a Venn message`,
        );
    }
  }

  private enter(depth: number, kind: string): number {
    const inner = depth + 1;
    if (inner > MAX_NESTING_DEPTH) {
      throw new CodecError('too-deep', `${kind} at offset ${this.position} nests deeper than ${MAX_NESTING_DEPTH}`);
    }
    return inner;
  }

  private array(length: number, depth: number, at: number): void {
    const inner = this.enter(depth, 'array');
    // SPEC §5.1: refused from the header, before any item is read.
    if (length > MAX_ARRAY_ITEMS) {
      throw new CodecError('too-many-items', `array of ${length} items at offset ${at}: no Venn message has an array of more than ${MAX_ARRAY_ITEMS}`);
    }
    // Every element takes at least one byte: reject impossible lengths before walking them.
    this.need(length, `array of ${length} elements`);
    for (let i = 0; i < length; i++) this.value(inner);
  }

  private map(length: number, depth: number, at: number): void {
    const inner = this.enter(depth, 'map');
    // SPEC §5.1: refused from the header, before any entry is read, so the work per map is bounded.
    if (length > MAX_MAP_ENTRIES) {
      throw new CodecError('too-many-entries', `map of ${length} entries at offset ${at}: no Venn message has a map of more than ${MAX_MAP_ENTRIES}`);
    }
    // Every entry takes at least two bytes (a key and a value).
    this.need(2 * length, `map of ${length} entries`);
    const keys = new Set<string>();
    for (let i = 0; i < length; i++) {
      const key = this.key();
      if (keys.has(key)) {
        throw new CodecError('duplicate-key', `map key ${JSON.stringify(key.slice(0, 64))} appears twice in the map at offset ${at}`);
      }
      keys.add(key);
      this.value(inner);
    }
  }

  /** Returns a key's raw bytes as latin1 (one character per byte, so distinct bytes stay distinct) for duplicate detection. */
  private key(): string {
    const at = this.position;
    const token = this.u8('map key');
    let length: number;
    if (token >= 0xa0 && token <= 0xbf) length = token & 0x1f;
    else if (token === 0xd9) length = this.u8('str8 length');
    else if (token === 0xda) length = this.u16('str16 length');
    else if (token === 0xdb) length = this.u32('str32 length');
    else throw new CodecError('non-string-key', `map key at offset ${at} is not a string`);
    this.need(length, 'map key');
    const key = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.position, length).toString('latin1');
    this.position += length;
    return key;
  }
}
