/** Byte sources for the list readers: files or streams, counted, checked for a UTF-16 byte order mark. */
import { createReadStream } from 'node:fs';
import { ValidationError, VennError, describe } from '@venn/errors';

export interface ByteCounter {
  bytes: number;
}

export type ByteInput = string | AsyncIterable<Uint8Array | string>;

function wrapReadError(error: unknown, path: string | undefined): VennError {
  if (error instanceof VennError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ValidationError('ingest-read', `${path === undefined ? 'input stream' : `"${path}"`} could not be read: ${detail}`, { cause: error });
}

/** Yields the input as Buffers, counting bytes. Lists are UTF-8 (identifiers.md §8). */
export async function* byteChunks(input: ByteInput, counter: ByteCounter): AsyncGenerator<Buffer> {
  const path = typeof input === 'string' ? input : undefined;
  if (typeof input !== 'string' && (typeof input !== 'object' || input === null || !(Symbol.asyncIterator in input))) {
    throw new ValidationError('invalid-input', `"input" expected a file path or a readable stream, got ${describe(input)}`);
  }
  const source = typeof input === 'string' ? createReadStream(input) : input;
  let first = true;
  try {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (buffer.length === 0) continue;
      if (first) {
        first = false;
        // A UTF-16 file decoded as UTF-8 would reject every row; say what is wrong once instead.
        if (buffer.length >= 2 && ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))) {
          throw new ValidationError('ingest-encoding', `${path === undefined ? 'input' : `"${path}"`} starts with a UTF-16 byte order mark; expected UTF-8`);
        }
      }
      counter.bytes += buffer.length;
      yield buffer;
    }
  } catch (error) {
    throw wrapReadError(error, path);
  } finally {
    if (typeof input === 'string') (source as ReturnType<typeof createReadStream>).destroy();
  }
}
