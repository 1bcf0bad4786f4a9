/** Schema checks on a decoded frame (SPEC §5): exact key sets, types and bounds, naming the field. */
import { CodecError, describe } from '@venn/errors';

export type RawMap = Readonly<Record<string, unknown>>;

const utf8 = new TextEncoder();

export function isRawMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Exactly `required` plus any of `optional`: no unknown and no missing keys. */
export function expectKeys(raw: RawMap, where: string, required: readonly string[], optional: readonly string[] = []): void {
  for (const key of Object.keys(raw)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw new CodecError('unknown-field', `"${where}" has unexpected field ${JSON.stringify(key)}`);
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(raw, key)) {
      throw new CodecError('missing-field', `"${where}.${key}" is missing`);
    }
  }
}

export function readUint(raw: RawMap, where: string, key: string, max: number, min = 0): number {
  const value = raw[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new CodecError('wrong-type', `"${where}.${key}" expected an unsigned integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new CodecError('out-of-range', `"${where}.${key}" expected an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

export function readBool(raw: RawMap, where: string, key: string): boolean {
  const value = raw[key];
  if (typeof value !== 'boolean') {
    throw new CodecError('wrong-type', `"${where}.${key}" expected a boolean, got ${describe(value)}`);
  }
  return value;
}

/** A bin of exactly `length` bytes, copied out of the frame so the caller may reuse its buffer. */
export function readBytes(raw: RawMap, where: string, key: string, length: number): Uint8Array {
  const value = raw[key];
  if (!(value instanceof Uint8Array)) {
    throw new CodecError('wrong-type', `"${where}.${key}" expected bin, got ${describe(value)}`);
  }
  if (value.length !== length) {
    throw new CodecError(
      'wrong-length',
      `"${where}.${key}" expected bin of length ${length}, got length=${value.length}`,
    );
  }
  return new Uint8Array(value);
}

/** A bin whose length is a multiple of `unit`, between `minUnits` and `maxUnits` units. */
export function readPacked(
  raw: RawMap,
  where: string,
  key: string,
  unit: number,
  minUnits: number,
  maxUnits: number,
): Uint8Array {
  const value = raw[key];
  if (!(value instanceof Uint8Array)) {
    throw new CodecError('wrong-type', `"${where}.${key}" expected bin, got ${describe(value)}`);
  }
  if (value.length % unit !== 0 || value.length < minUnits * unit || value.length > maxUnits * unit) {
    throw new CodecError(
      'wrong-length',
      `"${where}.${key}" expected bin of ${minUnits}..${maxUnits} × ${unit} bytes, got length=${value.length}`,
    );
  }
  return new Uint8Array(value);
}

export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

export function readString(raw: RawMap, where: string, key: string, maxBytes: number, minBytes = 0): string {
  const value = raw[key];
  if (typeof value !== 'string') {
    throw new CodecError('wrong-type', `"${where}.${key}" expected a string, got ${describe(value)}`);
  }
  const length = utf8Length(value);
  if (length < minBytes || length > maxBytes) {
    throw new CodecError(
      'wrong-length',
      `"${where}.${key}" expected a string of ${minBytes}..${maxBytes} UTF-8 bytes, got ${length}`,
    );
  }
  return value;
}

export function readArray(raw: RawMap, where: string, key: string, maxItems: number): readonly unknown[] {
  const value = raw[key];
  if (!Array.isArray(value)) {
    throw new CodecError('wrong-type', `"${where}.${key}" expected an array, got ${describe(value)}`);
  }
  if (value.length > maxItems) {
    throw new CodecError('wrong-length', `"${where}.${key}" expected at most ${maxItems} items, got ${value.length}`);
  }
  return value;
}

export function readMap(raw: RawMap, where: string, key: string): RawMap {
  const value = raw[key];
  if (!isRawMap(value)) {
    throw new CodecError('wrong-type', `"${where}.${key}" expected a map, got ${describe(value)}`);
  }
  return value;
}
