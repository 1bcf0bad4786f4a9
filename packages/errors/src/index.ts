/** Venn's one error family: every failure carries a stable `code` and keeps its `cause`. */

export type ErrorCode = string;

/** Base class. `code` is stable and machine-readable; `message` names the field and what was expected. */
export class VennError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that is well-formed but not acceptable: wrong length, out of range, not allowed by policy. */
export class ValidationError extends VennError {}

/** Bytes that cannot be decoded: truncated, oversized, wrong types, extra or missing fields. */
export class CodecError extends VennError {}

/** A point, scalar, proof or signature that does not verify. */
export class CryptoError extends VennError {}

/** The peer broke the round's rules; `code` is the abort reason sent on the wire. */
export class ProtocolError extends VennError {}

/** A connection-level failure: authentication, framing, limits, timeouts. */
export class TransportError extends VennError {}

/**
 * The machine, not the input, stands in the way: a directory or file that cannot be written, a
 * port in use, a node directory held by another process. The CLI gives these their own exit code.
 */
export class EnvironmentError extends VennError {}

/** A bug or broken invariant inside Venn itself. */
export class InternalError extends VennError {}

/** Describes a value for error messages without echoing large or secret content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Uint8Array) return `Uint8Array of length ${value.length}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'string') return value.length > 64 ? `string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}
