/**
 * A fault-injecting TCP proxy on loopback, one in front of each daemon's peer listener: the roster
 * names the proxy's port, the proxy forwards to the daemon. Bytes pass through in order; on the
 * way they can be delayed (latency, jitter), throttled (bandwidth), dropped in one direction (a
 * one-way partition), held (a stall), or the connection reset with a TCP RST at a chosen offset.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { SeededRandom } from './random.js';

export type Direction = 'inbound' | 'outbound';

export interface ProxyStats {
  connections: number;
  resets: number;
  bytesForwarded: number;
  /** Bytes held back by one-way partitions (delivered when the partition heals, as TCP retransmits them). */
  bytesHeld: number;
}

interface Pipe {
  /** Bytes of this direction already passed on. */
  forwarded: number;
  /** Reset the connection once this many bytes of this direction went through. */
  resetAt: number | undefined;
  /** When the last chunk was (or will be) written: chunks never overtake each other. */
  lastDelivery: number;
  /** Chunks held back while this direction is partitioned. */
  held: Buffer[];
  /** Chunks on their way, in stream order, each with the time it is due. */
  queue: Array<{ at: number; payload: Buffer; resetAfter: boolean }>;
  /** The one timer that delivers the head of the queue. */
  timer: NodeJS.Timeout | undefined;
}

class ProxiedConnection {
  readonly pipes: Record<Direction, Pipe> = {
    inbound: { forwarded: 0, resetAt: undefined, lastDelivery: 0, held: [], queue: [], timer: undefined },
    outbound: { forwarded: 0, resetAt: undefined, lastDelivery: 0, held: [], queue: [], timer: undefined },
  };
  stalledUntil = 0;
  closed = false;

  constructor(readonly client: Socket, readonly server: Socket, private readonly proxy: FaultProxy) {}

  /** Forwards one chunk of `direction` with the proxy's current faults. */
  carry(direction: Direction, chunk: Buffer): void {
    if (this.closed) return;
    const proxy = this.proxy;
    const pipe = this.pipes[direction];
    // A one-way partition loses the packets; TCP keeps the bytes and sends them again once it heals.
    if (proxy.partitioned[direction] || pipe.held.length > 0) {
      pipe.held.push(chunk);
      proxy.stats.bytesHeld += chunk.length;
      return;
    }
    let payload = chunk;
    let resetAfter = false;
    if (pipe.resetAt !== undefined && pipe.forwarded + chunk.length >= pipe.resetAt) {
      payload = chunk.subarray(0, Math.max(0, pipe.resetAt - pipe.forwarded));
      resetAfter = true;
    }
    pipe.forwarded += payload.length;
    const now = Date.now();
    let at = now + proxy.latencyMs + (proxy.jitterMs > 0 ? proxy.random.next() * proxy.jitterMs : 0);
    if (proxy.bytesPerSecond !== undefined) at = Math.max(at, pipe.lastDelivery + (payload.length / proxy.bytesPerSecond) * 1000);
    at = Math.max(at, pipe.lastDelivery, this.stalledUntil);
    pipe.lastDelivery = at;
    // One queue and one timer per direction: separate timers could fire out of order and corrupt the stream.
    pipe.queue.push({ at, payload, resetAfter });
    this.pump(direction);
  }

  private pump(direction: Direction): void {
    const pipe = this.pipes[direction];
    if (pipe.timer !== undefined || this.closed) return;
    const target = direction === 'inbound' ? this.server : this.client;
    for (let head = pipe.queue[0]; head !== undefined && head.at <= Date.now(); head = pipe.queue[0]) {
      pipe.queue.shift();
      // The RST goes once the prefix left: libuv falls back to an orderly close while a write is pending.
      if (head.payload.length > 0) {
        this.proxy.stats.bytesForwarded += head.payload.length;
        if (head.resetAfter) target.write(head.payload, () => this.reset());
        else target.write(head.payload);
      } else if (head.resetAfter) this.reset();
      if (head.resetAfter || this.closed) {
        pipe.queue.length = 0;
        return;
      }
    }
    const next = pipe.queue[0];
    if (next === undefined) return;
    pipe.timer = setTimeout(() => {
      pipe.timer = undefined;
      this.pump(direction);
    }, Math.max(1, next.at - Date.now()));
  }

  /** Delivers what a healed partition held, in order. */
  release(direction: Direction): void {
    const held = this.pipes[direction].held.splice(0);
    for (const chunk of held) this.carry(direction, chunk);
  }

  /**
   * Ends both sides at once with a TCP RST (SO_LINGER 0). Linux sends the RST while received data
   * is unread; otherwise the peer may see a FIN in the middle of a message. Either way the stream
   * stops at the chosen byte.
   */
  reset(): void {
    if (this.closed) return;
    this.proxy.stats.resets += 1;
    this.close(true);
  }

  close(reset = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const pipe of Object.values(this.pipes)) {
      if (pipe.timer !== undefined) clearTimeout(pipe.timer);
      pipe.timer = undefined;
      pipe.queue.length = 0;
    }
    for (const socket of [this.client, this.server]) {
      if (reset && !socket.destroyed && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
    }
    this.proxy.connectionClosed(this);
  }
}

export class FaultProxy {
  readonly stats: ProxyStats = { connections: 0, resets: 0, bytesForwarded: 0, bytesHeld: 0 };
  latencyMs = 0;
  jitterMs = 0;
  bytesPerSecond: number | undefined;
  /** inbound: towards the daemon; outbound: from it. A partitioned direction delivers nothing until it heals (setPartition). */
  readonly partitioned: Record<Direction, boolean> = { inbound: false, outbound: false };
  /** New connections are reset at once (the host is gone). */
  refusing = false;
  /** Chance that a new connection is reset at a random offset in [0, resetWithinBytes). */
  resetChance = 0;
  resetWithinBytes = 65_536;
  private readonly open = new Set<ProxiedConnection>();
  private server: Server | undefined;
  port = 0;

  constructor(readonly name: string, private readonly targetPort: number, readonly random: SeededRandom) {}

  listen(port = 0): Promise<number> {
    const server = createServer({ noDelay: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve(this.port);
      });
    });
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.refusing) {
      this.stats.resets += 1;
      client.resetAndDestroy();
      return;
    }
    this.stats.connections += 1;
    const server = connect({ host: '127.0.0.1', port: this.targetPort, noDelay: true });
    server.on('error', () => undefined);
    const connection = new ProxiedConnection(client, server, this);
    this.open.add(connection);
    if (this.resetChance > 0 && this.random.chance(this.resetChance)) {
      const direction: Direction = this.random.chance(0.5) ? 'inbound' : 'outbound';
      connection.pipes[direction].resetAt = this.random.int(0, this.resetWithinBytes - 1);
    }
    client.on('data', (chunk: Buffer) => connection.carry('inbound', chunk));
    server.on('data', (chunk: Buffer) => connection.carry('outbound', chunk));
    // An orderly end on one side is passed on once the bytes before it were delivered.
    const endAfterDrain = (direction: Direction, target: Socket): void => {
      const wait = Math.max(0, connection.pipes[direction].lastDelivery - Date.now()) + 1;
      setTimeout(() => { if (!connection.closed) target.end(); }, wait);
    };
    client.on('end', () => endAfterDrain('inbound', server));
    server.on('end', () => endAfterDrain('outbound', client));
    client.on('close', () => { if (!connection.closed && server.destroyed) connection.close(); });
    server.on('close', () => { if (!connection.closed && client.destroyed) connection.close(); });
    const closeBoth = (): void => {
      if (client.destroyed && server.destroyed) connection.close();
    };
    client.on('close', closeBoth);
    server.on('close', closeBoth);
    client.on('error', () => connection.close());
    server.on('error', () => connection.close());
  }

  connectionClosed(connection: ProxiedConnection): void {
    this.open.delete(connection);
  }

  get openConnections(): number {
    return this.open.size;
  }

  /** Resets each open connection after a random number (< withinBytes) of further bytes; returns how many were armed. */
  resetOpen(withinBytes: number): number {
    let armed = 0;
    for (const connection of this.open) {
      const direction: Direction = this.random.chance(0.5) ? 'inbound' : 'outbound';
      const pipe = connection.pipes[direction];
      pipe.resetAt = pipe.forwarded + this.random.int(0, withinBytes - 1);
      armed += 1;
    }
    return armed;
  }

  /** Holds every byte of the open connections for `ms`; returns how many were stalled. */
  stallOpen(ms: number): number {
    const until = Date.now() + ms;
    for (const connection of this.open) connection.stalledUntil = Math.max(connection.stalledUntil, until);
    return this.open.size;
  }

  /** Starts or heals a one-way partition; healing delivers the bytes held meanwhile. */
  setPartition(direction: Direction, on: boolean): void {
    this.partitioned[direction] = on;
    if (!on) for (const connection of this.open) connection.release(direction);
  }

  /** Back to a clean link: no delay, no throttle, no partition, no refusals, no resets. */
  heal(): void {
    this.latencyMs = 0;
    this.jitterMs = 0;
    this.bytesPerSecond = undefined;
    this.setPartition('inbound', false);
    this.setPartition('outbound', false);
    this.refusing = false;
    this.resetChance = 0;
    for (const connection of this.open) connection.stalledUntil = 0;
  }

  /** Drops every open connection with a reset (a host that vanished). */
  dropAll(): void {
    for (const connection of [...this.open]) connection.reset();
  }

  async close(): Promise<void> {
    for (const connection of [...this.open]) connection.close();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}
