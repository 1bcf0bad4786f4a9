/**
 * Byte sources for the list readers: files or streams, counted, gunzipped when they start with
 * the gzip magic (RFC 1952), checked for a UTF-16 byte order mark.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ValidationError, VennError, describe } from '@venn/errors';

export interface ByteCounter {
  bytes: number;
  /** Fed every byte of the input as read (before any gunzip), when set. */
  readonly hash?: { update(bytes: Uint8Array): unknown } | undefined;
}

export type ByteInput = string | AsyncIterable<Uint8Array | string>;

function wrapReadError(error: unknown, path: string | undefined): VennError {
  if (error instanceof VennError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ValidationError('ingest-read', `${path === undefined ? 'input stream' : `"${path}"`} could not be read: ${detail}`, { cause: error });
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The source's chunks as Buffers, counted as they are read (compressed bytes for gzip input). */
async function* counted(source: AsyncIterable<Uint8Array | string>, counter: ByteCounter): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buffer = toBuffer(chunk);
    if (buffer.length === 0) continue;
    counter.bytes += buffer.length;
    counter.hash?.update(buffer);
    yield buffer;
  }
}

/** `first` and then the rest of `iterator`. */
async function* resumed(first: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
}

/** Yields the input as Buffers, counting bytes. Lists are UTF-8 (identifiers.md §8), possibly gzipped. */
export async function* byteChunks(input: ByteInput, counter: ByteCounter): AsyncGenerator<Buffer> {
  const path = typeof input === 'string' ? input : undefined;
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null || !(Symbol.asyncIterator in input))) {
    throw new ValidationError('invalid-input', `"input" expected a file path or a readable stream, got ${describe(input)}`);
  }
  const source = typeof input === 'string' ? createReadStream(input) : input;
  const raw = counted(source, counter);
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  try {
    const head = await raw.next();
    if (head.done === true) return;
    let chunks: AsyncIterable<Buffer> = resumed(head.value, raw);
    if (head.value[0] === 0x1f && head.value[1] === 0x8b) {
      gunzip = createGunzip();
      chunks = Readable.from(chunks).pipe(gunzip);
    }
    let first = true;
    for await (const chunk of chunks) {
      const buffer = toBuffer(chunk);
      if (buffer.length === 0) continue;
      if (first) {
        first = false;
        // A UTF-16 file decoded as UTF-8 would reject every row; say what is wrong once instead.
        if (buffer.length >= 2 && ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))) {
          throw new ValidationError('ingest-encoding', `${path === undefined ? 'input' : `"${path}"`} starts with a UTF-16 byte order mark; expected UTF-8`);
        }
      }
      yield buffer;
    }
  } catch (error) {
    if (gunzip !== undefined && !(error instanceof VennError) && (error as NodeJS.ErrnoException).code?.startsWith('Z_') === true) {
      throw new ValidationError('ingest-gzip', `${path === undefined ? 'input' : `"${path}"`} starts like gzip but does not decompress: ${(error as Error).message}`, { cause: error });
    }
    throw wrapReadError(error, path);
  } finally {
    gunzip?.destroy();
    if (typeof input === 'string') (source as ReturnType<typeof createReadStream>).destroy();
  }
}
