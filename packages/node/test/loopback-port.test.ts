import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loopbackPort } from '../src/internal/loopback-port.js';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('loopbackPort', () => {
  it('hands out ports below the range outgoing connections take their local ports from', async () => {
    // What the old helper did: port 0 gives a port from the ephemeral range, the same range a
    // client socket's local port comes from. Show the exposure, then that the helper avoids it.
    const probe = await listen(0);
    const ephemeral = (probe.address() as { port: number }).port;
    await close(probe);
    expect(ephemeral).toBeGreaterThanOrEqual(ephemeralLow);

    const server = await listen(await loopbackPort());
    const clients = await Promise.all(Array.from({ length: 20 }, () => new Promise<number>((resolve, reject) => {
      const socket = connect((server.address() as { port: number }).port, '127.0.0.1', () => { resolve(socket.localPort!); socket.destroy(); });
      socket.once('error', reject);
    })));
    for (const local of clients) expect(local).toBeGreaterThanOrEqual(ephemeralLow);
    await close(server);

    for (let i = 0; i < 50; i += 1) {
      const port = await loopbackPort();
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralLow);
    }
  });

  it('never hands out a port something is listening on, and the port it gives can be bound', async () => {
    const held: Server[] = [];
    const seen = new Set<number>();
    try {
      for (let i = 0; i < 40; i += 1) {
        const port = await loopbackPort();
        expect(seen.has(port)).toBe(false);
        seen.add(port);
        held.push(await listen(port));
      }
      // Occupy the next ports in line: the helper steps past them.
      const last = [...seen].at(-1)!;
      const blockers = await Promise.all([1, 2, 3].map((k) => listen(last + k).catch(() => undefined)));
      const after = await loopbackPort();
      expect(seen.has(after)).toBe(false);
      const blocked = new Set(blockers.filter((s) => s !== undefined).map((s) => (s!.address() as { port: number }).port));
      expect(blocked.has(after)).toBe(false);
      held.push(await listen(after));
      for (const s of blockers) if (s !== undefined) held.push(s);
    } finally {
      await Promise.all(held.map(close));
    }
  });
});
