/** The rejects file: one RFC 4180 CSV row per rejected input row (protocol-spec/identifiers.md §8). */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { ValidationError } from '@venn/errors';
import type { IngestReject } from './rows.js';

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export class RejectsWriter {
  readonly path: string;
  readonly #stream: WriteStream;
  #error: Error | undefined;

  constructor(path: string) {
    this.path = path;
    this.#stream = createWriteStream(path);
    this.#stream.on('error', (error) => {
      this.#error = error;
    });
    this.#stream.write('line,code,reason,message,value\r\n');
  }

  #check(): void {
    if (this.#error !== undefined) {
      throw new ValidationError('ingest-rejects-write', `rejects file "${this.path}" could not be written: ${this.#error.message}`, { cause: this.#error });
    }
  }

  async write(reject: IngestReject): Promise<void> {
    this.#check();
    const row = [String(reject.line), reject.code, reject.reason, reject.message, reject.value ?? ''].map(csvField).join(',');
    if (!this.#stream.write(`${row}\r\n`)) {
      // Backpressure: wait for the file to catch up rather than buffer rejects in memory.
      await Promise.race([once(this.#stream, 'drain'), once(this.#stream, 'close')]);
      this.#check();
    }
  }

  async close(): Promise<void> {
    this.#stream.end();
    try {
      await finished(this.#stream);
    } catch {
      // The error listener has recorded it.
    }
    this.#check();
  }
}
