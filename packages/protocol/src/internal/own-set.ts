/**
 * A party's own set (SPEC §3.1): its size up front, its digests only when the round may read them
 * (SPEC §4.4: after the peer's OFFER passed its checks, or for the initiator once its OFFER is
 * out). The digests are one packed, strictly ascending buffer, so a 2^20-element set is one
 * 32 MiB allocation rather than 2^20 objects, and distinctness is an O(n) check.
 */
import { ValidationError, describe } from '@venn/errors';
import { MAX_SET_SIZE, POINT_BYTES, type LabelValues } from '@venn/wire';

/** What `OwnSet.load()` returns. */
export interface LoadedOwnSet {
  /** 32·size bytes: the digests, packed, in strictly ascending byte order (so distinct) */
  readonly digests: Uint8Array;
  /** the label of the digest at `index`, if it has one; asked only for matched items, when labels are agreed */
  labelOf?(index: number): LabelValues | undefined;
}

/** The own set as the round sees it (RoundOptions.ownSet). */
export interface OwnSet {
  /** the number of distinct digests, 0 … MAX_SET_SIZE; sent in the OFFER before anything is loaded */
  readonly size: number;
  /** reads the set; called at most once, only when SPEC §4.4 lets the round read it */
  load(): LoadedOwnSet;
}

const DIGEST = POINT_BYTES;

/** -1, 0 or 1 as digest i of `a` sorts before, equal to or after digest j of `b`. */
function compareDigests(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  const x = i * DIGEST;
  const y = j * DIGEST;
  for (let k = 0; k < DIGEST; k++) {
    const d = a[x + k]! - b[y + k]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Checks what `load()` returned against the declared size: length, then strict ascending order (O(n)). */
export function checkLoadedOwnSet(loaded: LoadedOwnSet, size: number): void {
  if (typeof loaded !== 'object' || loaded === null) {
    throw new ValidationError('invalid-own-set', `"ownSet.load()" expected an object { digests }, got ${describe(loaded)}`);
  }
  const { digests } = loaded;
  if (!(digests instanceof Uint8Array) || digests.length !== size * DIGEST) {
    const got = digests instanceof Uint8Array ? `length=${digests.length}` : describe(digests);
    throw new ValidationError('invalid-own-set', `"ownSet.load().digests" expected ${size} packed 32-byte digests (${size * DIGEST} bytes, "ownSet.size"), got ${got}`);
  }
  for (let i = 1; i < size; i++) {
    if (compareDigests(digests, i - 1, digests, i) >= 0) {
      throw new ValidationError(
        'invalid-own-set',
        `"ownSet.load().digests" expected strictly ascending distinct digests, but digest ${i} ${compareDigests(digests, i - 1, digests, i) === 0 ? 'repeats' : 'sorts before'} digest ${i - 1}`,
      );
    }
  }
  if (loaded.labelOf !== undefined && typeof loaded.labelOf !== 'function') {
    throw new ValidationError('invalid-own-set', `"ownSet.load().labelOf" expected a function, got ${describe(loaded.labelOf)}`);
  }
}

/**
 * An OwnSet from a list of 32-byte digests in any order, with repeats (kept once) and optional
 * labels aligned with `elements` (a repeated digest keeps the label of its first occurrence).
 * Sorts a copy; for sets already held packed and sorted, implement OwnSet directly.
 */
export function ownSetFromDigests(elements: readonly Uint8Array[], labels?: ReadonlyArray<LabelValues | undefined>): OwnSet {
  if (!Array.isArray(elements)) {
    throw new ValidationError('invalid-own-set', `"elements" expected an array of 32-byte digests, got ${describe(elements)}`);
  }
  elements.forEach((element, i) => {
    if (!(element instanceof Uint8Array) || element.length !== DIGEST) {
      const got = element instanceof Uint8Array ? `length=${element.length}` : describe(element);
      throw new ValidationError('invalid-own-set', `"elements[${i}]" expected Uint8Array of length ${DIGEST}, got ${got}`);
    }
  });
  if (labels !== undefined && (!Array.isArray(labels) || labels.length !== elements.length)) {
    throw new ValidationError('invalid-own-set', `"labels" expected an array aligned with "elements" (length ${elements.length}), got ${describe(labels)}`);
  }
  const packed = new Uint8Array(elements.length * DIGEST);
  elements.forEach((element, i) => packed.set(element, i * DIGEST));
  // Stable sort by digest, so the first occurrence of a repeated digest comes first.
  const order = Array.from({ length: elements.length }, (_, i) => i).sort((i, j) => compareDigests(packed, i, packed, j) || i - j);
  // kept[index] = the position in `elements` of the first occurrence of distinct digest `index`.
  const kept = new Uint32Array(order.length);
  let size = 0;
  for (const i of order) {
    if (size === 0 || compareDigests(packed, kept[size - 1]!, packed, i) !== 0) kept[size++] = i;
  }
  if (size > MAX_SET_SIZE) {
    throw new ValidationError('invalid-own-set', `"elements" expected at most ${MAX_SET_SIZE} distinct digests (SPEC §3.1), got ${size}`);
  }
  const digests = new Uint8Array(size * DIGEST);
  for (let index = 0; index < size; index++) digests.set(packed.subarray(kept[index]! * DIGEST, (kept[index]! + 1) * DIGEST), index * DIGEST);
  if (labels === undefined) return { size, load: () => ({ digests }) };
  const firstOccurrence = kept.slice(0, size);
  return { size, load: () => ({ digests, labelOf: (index: number): LabelValues | undefined => labels[firstOccurrence[index]!] }) };
}
