#!/usr/bin/env node
/**
 * Sustained encrypted throughput of 64 KiB application frames over loopback: a Venn session
 * between a client on the main thread and a server in a worker thread (one core each), with the
 * full handshake, XChaCha20-Poly1305 sealing and opening, WebSocket framing and backpressure.
 *
 *   pnpm run bench:transport [-- --frames 4000 --size 65536 --runs 3]
 *
 * Reads the package's build output (dist/); the script builds it first.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import sodium from 'libsodium-wrappers-sumo';
import { connect, createServer, parseRoster, transportReady } from '../dist/index.js';

function rosterFor(keys) {
  return {
    version: 1,
    federation: { name: 'venn-bench', epoch: 1 },
    schedule: { cron: '0 */6 * * *', windowMinutes: 30, timezone: 'UTC' },
    members: ['lab-a', 'lab-b'].map((id, i) => ({
      id,
      name: `Lab ${id}`,
      endpoint: `ws://127.0.0.1:${7300 + i}`,
      identityKey: Buffer.from(keys[id].publicKey).toString('hex'),
      policy: { maxPeerSetSize: 1000000, maxRoundsPerDay: 8, modes: ['intersection'], shareLabels: [] },
    })),
  };
}

if (!isMainThread) {
  // Receiver: counts bytes per run and answers with a one-byte DATA frame when a run is complete.
  const { rosterJson, secretKey, expectedBytes } = workerData;
  const server = await createServer({
    roster: parseRoster(rosterJson),
    identity: { id: 'lab-b', secretKey: Uint8Array.from(secretKey) },
    logger: { info() {}, warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) },
    onSession: async (session) => {
      let received = 0;
      for await (const payload of session) {
        received += payload.length;
        if (received >= expectedBytes) {
          received -= expectedBytes;
          await session.send(new Uint8Array([1]));
        }
      }
    },
  });
  parentPort.postMessage({ port: server.port });
} else {
  // pnpm forwards the "--" separator itself; drop it.
  const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
  const { values } = parseArgs({
    args,
    options: { frames: { type: 'string', default: '4000' }, size: { type: 'string', default: '65536' }, runs: { type: 'string', default: '3' } },
  });
  const frames = Number(values.frames);
  const size = Number(values.size);
  const runs = Number(values.runs);
  await transportReady();
  await sodium.ready;
  const keys = { 'lab-a': sodium.crypto_sign_keypair(), 'lab-b': sodium.crypto_sign_keypair() };
  const rosterJson = rosterFor(keys);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { rosterJson, secretKey: Array.from(keys['lab-b'].privateKey), expectedBytes: frames * size },
  });
  const { port } = await new Promise((resolve) => worker.once('message', resolve));
  const session = await connect({
    roster: parseRoster(rosterJson),
    identity: { id: 'lab-a', secretKey: keys['lab-a'].privateKey },
    peerId: 'lab-b',
    purpose: new TextEncoder().encode('bench'),
    url: `ws://127.0.0.1:${port}`,
    logger: { info() {}, warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) },
  });
  const acks = session[Symbol.asyncIterator]();
  const payload = new Uint8Array(size).fill(0x5a);
  const results = [];
  for (let run = 0; run <= runs; run++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < frames; i++) await session.send(payload);
    await acks.next();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const mbps = (frames * size) / 1e6 / seconds;
    // Run 0 warms up the JIT and the WebAssembly heap and is not counted.
    if (run > 0) results.push(mbps);
    console.log(`${run === 0 ? 'warm-up' : `run ${run}`}: ${frames} frames x ${size} B in ${seconds.toFixed(3)} s = ${mbps.toFixed(1)} MB/s`);
  }
  await session.close('bench done');
  await worker.terminate();
  const sorted = [...results].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`[throughput] median ${median.toFixed(1)} MB/s (${(median / 1.048576).toFixed(1)} MiB/s) of ${size}-byte frames, sealed and opened, over loopback; node ${process.version}`);
}
