/** The fault proxy over real loopback sockets: bytes in order, resets at an offset, one-way partitions, latency. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../src/internal/proxy.js';
import { SeededRandom } from '../src/internal/random.js';

let echo: Server;
let echoPort = 0;

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const address = echo.address();
  echoPort = typeof address === 'object' && address !== null ? address.port : 0;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

async function withProxy(setup: (proxy: FaultProxy) => void, body: (port: number, proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = new FaultProxy('test', echoPort, new SeededRandom(1));
  setup(proxy);
  const port = await proxy.listen();
  try {
    await body(port, proxy);
  } finally {
    await proxy.close();
  }
}

/** Sends `payload`, collects what comes back until `expected` bytes arrived or the socket ended. */
function roundTrip(port: number, payload: Buffer, expected: number): Promise<{ received: Buffer; error: string | null; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let error: string | null = null;
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => socket.write(payload));
    const done = (): void => resolve({ received: Buffer.concat(chunks), error, ms: performance.now() - started });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= expected) {
        socket.destroy();
        done();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
    socket.on('close', () => done());
  });
}

describe('the fault proxy', () => {
  const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));

  it('passes bytes through unchanged and in order', async () => {
    await withProxy(() => undefined, async (port, proxy) => {
      const { received } = await roundTrip(port, payload, payload.length);
      expect(received.equals(payload)).toBe(true);
      expect(proxy.stats.bytesForwarded).toBe(2 * payload.length);
    });
  });

  it('cuts a connection after the chosen number of bytes, mid-stream', async () => {
    await withProxy((proxy) => { proxy.resetChance = 1; proxy.resetWithinBytes = 1000; }, async (port, proxy) => {
      const { received, error } = await roundTrip(port, payload, payload.length);
      // The seed puts the cut in the echo's direction: a prefix of it arrives, then the connection ends.
      expect(received.length).toBeLessThan(1000);
      expect(payload.subarray(0, received.length).equals(received)).toBe(true);
      expect([null, 'ECONNRESET']).toContain(error);
      expect(proxy.stats.resets).toBe(1);
      expect(proxy.openConnections).toBe(0);
    });
  });

  it('holds one direction in a one-way partition and delivers it, in order, when it heals', async () => {
    await withProxy((proxy) => proxy.setPartition('outbound', true), async (port, proxy) => {
      const reply = roundTrip(port, payload.subarray(0, 5000), 5000);
      await new Promise<void>((resolve) => {
        const check = (): void => (proxy.stats.bytesHeld >= 5000 ? resolve() : void setTimeout(check, 5));
        check();
      });
      // The echo answered, but nothing reached the client.
      expect(proxy.stats.bytesForwarded).toBe(5000);
      proxy.setPartition('outbound', false);
      const { received } = await reply;
      expect(received.equals(payload.subarray(0, 5000))).toBe(true);
    });
  });

  it('adds latency to each direction', async () => {
    await withProxy((proxy) => { proxy.latencyMs = 150; }, async (port) => {
      const { received, ms } = await roundTrip(port, payload.subarray(0, 100), 100);
      expect(received.length).toBe(100);
      expect(ms).toBeGreaterThanOrEqual(300);
    });
  });
});
