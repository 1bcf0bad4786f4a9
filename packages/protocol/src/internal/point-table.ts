/**
 * A set of packed 32-byte points for matching (SPEC §4.2 step 4): open addressing with linear
 * probing, slots hashed from each point's first 8 bytes and compared in full. No per-point objects
 * or strings, so a 2^20-point table costs 16 MiB. Points are public to both parties (SPEC §10.9),
 * so variable-time hashing and comparison leak nothing; their encodings are pseudorandom to
 * whoever did not compute them, so probe chains stay short.
 */
import { POINT_BYTES } from '@venn/wire';

export class PointTable {
  /** position + 1 of the point in its slot, 0 for an empty slot */
  private readonly slots: Uint32Array;
  private readonly mask: number;

  /** Indexes `positions` (all of them when omitted) of the packed list `points`; the caller keeps `points` unchanged. */
  constructor(
    private readonly points: Uint8Array,
    positions?: ArrayLike<number>,
  ) {
    const count = positions === undefined ? points.length / POINT_BYTES : positions.length;
    // At most half full, so an absent point ends its probe quickly.
    let size = 16;
    while (size < 2 * count) size *= 2;
    this.slots = new Uint32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < count; i++) this.insert(positions === undefined ? i : positions[i]!);
  }

  /** A position whose point equals `query[at … at + 31]`, or −1. */
  find(query: Uint8Array, at: number): number {
    for (let slot = PointTable.hash(query, at) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      if (this.equals(entry - 1, query, at)) return entry - 1;
    }
  }

  /** The first position of `points` whose point equals an earlier one, or −1 if all are distinct. */
  static firstRepeat(points: Uint8Array): number {
    const count = points.length / POINT_BYTES;
    let size = 16;
    while (size < 2 * count) size *= 2;
    const slots = new Uint32Array(size);
    const mask = size - 1;
    for (let position = 0; position < count; position++) {
      const at = position * POINT_BYTES;
      for (let slot = PointTable.hash(points, at) & mask; ; slot = (slot + 1) & mask) {
        const entry = slots[slot]!;
        if (entry === 0) {
          slots[slot] = position + 1;
          break;
        }
        let equal = true;
        const base = (entry - 1) * POINT_BYTES;
        for (let i = 0; i < POINT_BYTES; i++) {
          if (points[base + i] !== points[at + i]) {
            equal = false;
            break;
          }
        }
        if (equal) return position;
      }
    }
    return -1;
  }

  private insert(position: number): void {
    const at = position * POINT_BYTES;
    for (let slot = PointTable.hash(this.points, at) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        this.slots[slot] = position + 1;
        return;
      }
      // A repeated point is already findable; one entry is enough.
      if (this.equals(entry - 1, this.points, at)) return;
    }
  }

  private equals(position: number, query: Uint8Array, at: number): boolean {
    const points = this.points;
    const base = position * POINT_BYTES;
    for (let i = 0; i < POINT_BYTES; i++) if (points[base + i] !== query[at + i]) return false;
    return true;
  }

  private static hash(bytes: Uint8Array, at: number): number {
    const low = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
    const high = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24);
    return (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
  }
}
