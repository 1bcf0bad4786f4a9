/**
 * A set of 32-byte digests for duplicate detection within one file: digests are appended to
 * 1 MiB arena chunks and indexed by an open-addressing table of 32-bit slots, so a million
 * digests take about 40 MB (32 MB of digests, 8 MB of table) instead of a JS Set of strings.
 */
const DIGEST_BYTES = 32;
const CHUNK_DIGESTS = 32_768;

export class DigestSet {
  #table = new Uint32Array(1 << 12);
  #mask = (1 << 12) - 1;
  #chunks: Uint8Array[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds the digest; returns false if it was already present. */
  add(digest: Uint8Array): boolean {
    let slot = this.#hash(digest) & this.#mask;
    for (;;) {
      const entry = this.#table[slot] ?? 0;
      if (entry === 0) break;
      if (this.#equals(entry - 1, digest)) return false;
      slot = (slot + 1) & this.#mask;
    }
    const index = this.#size;
    const chunkIndex = Math.floor(index / CHUNK_DIGESTS);
    let chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) {
      chunk = new Uint8Array(CHUNK_DIGESTS * DIGEST_BYTES);
      this.#chunks.push(chunk);
    }
    chunk.set(digest.subarray(0, DIGEST_BYTES), (index % CHUNK_DIGESTS) * DIGEST_BYTES);
    this.#table[slot] = index + 1;
    this.#size++;
    // Linear probing stays short below half load.
    if (this.#size * 2 > this.#table.length) this.#grow();
    return true;
  }

  // SHA-256 output is uniform, so two words of it, mixed, make a good table hash.
  #hash(digest: Uint8Array): number {
    const a = (digest[0] ?? 0) | ((digest[1] ?? 0) << 8) | ((digest[2] ?? 0) << 16) | ((digest[3] ?? 0) << 24);
    const b = (digest[28] ?? 0) | ((digest[29] ?? 0) << 8) | ((digest[30] ?? 0) << 16) | ((digest[31] ?? 0) << 24);
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> 0;
  }

  #equals(index: number, digest: Uint8Array): boolean {
    const chunk = this.#chunks[Math.floor(index / CHUNK_DIGESTS)] as Uint8Array;
    const offset = (index % CHUNK_DIGESTS) * DIGEST_BYTES;
    for (let i = 0; i < DIGEST_BYTES; i++) {
      if (chunk[offset + i] !== digest[i]) return false;
    }
    return true;
  }

  #grow(): void {
    const capacity = this.#table.length * 2;
    this.#table = new Uint32Array(capacity);
    this.#mask = capacity - 1;
    for (let index = 0; index < this.#size; index++) {
      const chunk = this.#chunks[Math.floor(index / CHUNK_DIGESTS)] as Uint8Array;
      const offset = (index % CHUNK_DIGESTS) * DIGEST_BYTES;
      let slot = this.#hash(chunk.subarray(offset, offset + DIGEST_BYTES)) & this.#mask;
      while (this.#table[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#table[slot] = index + 1;
    }
  }
}
