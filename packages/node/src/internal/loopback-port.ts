/**
 * A TCP port on 127.0.0.1 for a node that will be started later (the demo, benchmarks, chaos runs
 * and end-to-end tests write it into a node's config before the daemon binds it).
 *
 * Asking the kernel for port 0 and closing the socket hands out a port from the ephemeral range,
 * which every outgoing connection on the machine draws its local port from as well: by the time
 * the daemon binds it, a client socket may hold it and the daemon exits with EADDRINUSE. A daemon
 * that is killed and restarted on its port has the same exposure for as long as it is down.
 *
 * So the port comes from below the ephemeral range (Linux's default starts at 32768; read from
 * /proc when present), from a random starting point per process and then in sequence, and only
 * after a bind on it has succeeded. Outgoing connections never take such a port; two processes
 * probing at once could, which the random start makes unlikely and the bind check narrows to the
 * moment between probe and start.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOW = 20_000;
const DEFAULT_EPHEMERAL_LOW = 32_768;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > LOW + 1_000) return low;
  } catch {
    // Not Linux, or /proc is not mounted: keep the default.
  }
  return DEFAULT_EPHEMERAL_LOW;
}

const high = ephemeralLow();
let next = LOW + Math.floor(Math.random() * (high - LOW));

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1, below the ephemeral range, that could be bound just now. */
export async function loopbackPort(): Promise<number> {
  for (let tries = 0; tries < high - LOW; tries += 1) {
    const port = next;
    next = next + 1 >= high ? LOW : next + 1;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${LOW} and ${high - 1}`);
}
