/** Worker thread for the parallel runs of bench:core: one Venn party, or one psi.js party. */
import { parentPort, workerData } from 'node:worker_threads';
import { ed25519KeyPairFromSeed, ready, systemRng } from '@venn/crypto';
import { createRound, ownSetFromDigests, type Role, type Round } from '@venn/protocol';
import type { Mode } from '@venn/wire';
import { benchPolicy, hexStrings, loadPsi, phaseRecorder, threadCpuMs, unpack } from './common.js';

export type WorkerInit =
  | {
      readonly kind: 'venn';
      readonly role: Role;
      readonly mode: Mode;
      readonly elements: Uint8Array;
      readonly signingSeed: Uint8Array;
      readonly peerSigningSeed: Uint8Array;
    }
  | { readonly kind: 'psi-server' | 'psi-client'; readonly elements: Uint8Array };

export type ToWorker =
  | { readonly type: 'start' }
  | { readonly type: 'frame'; readonly bytes: Uint8Array }
  | { readonly type: 'psi-request'; readonly bytes: Uint8Array }
  | { readonly type: 'psi-finish'; readonly setup: Uint8Array; readonly response: Uint8Array };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'frames'; readonly frames: Uint8Array[] }
  | {
      readonly type: 'venn-done';
      readonly status: string;
      readonly intersectionSize: number;
      readonly phases: Record<string, number>;
      readonly busyMs: number;
      readonly cpuMs: number | undefined;
    }
  | { readonly type: 'psi-message'; readonly step: string; readonly bytes: Uint8Array; readonly ms: number }
  | { readonly type: 'psi-done'; readonly size: number; readonly ms: number; readonly cpuMs: number | undefined };

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);

if (init.kind === 'venn') {
  await ready();
  const phases = phaseRecorder();
  const self = ed25519KeyPairFromSeed(init.signingSeed);
  const peer = ed25519KeyPairFromSeed(init.peerSigningSeed);
  const round: Round = createRound({
    role: init.role,
    roundId: new Uint8Array(32).fill(7),
    rosterDigest: new Uint8Array(32).fill(8),
    selfId: init.role === 'initiator' ? 'lab-a' : 'lab-b',
    peerId: init.role === 'initiator' ? 'lab-b' : 'lab-a',
    mode: init.mode,
    policy: benchPolicy(init.mode),
    identifierRules: 'venn-identifiers/1',
    ownSet: ownSetFromDigests(unpack(init.elements)),
    rng: systemRng,
    signingKey: self.secretKey,
    peerPublicKey: peer.publicKey,
    phaseTimer: phases.timer,
  });
  let busyMs = 0;
  let cpuStart: number | undefined;
  const step = (work: () => { bytes: Uint8Array }[]): void => {
    const started = performance.now();
    const out = work();
    busyMs += performance.now() - started;
    if (out.length > 0) post({ type: 'frames', frames: out.map((o) => o.bytes) });
    if (round.done) {
      const cpuEnd = threadCpuMs();
      post({
        type: 'venn-done',
        status: round.result!.status,
        intersectionSize: round.result!.status === 'aborted' ? -1 : round.result!.intersectionSize,
        phases: phases.totals,
        busyMs,
        cpuMs: cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart,
      });
    }
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'start') {
      cpuStart = threadCpuMs();
      step(() => round.start());
      // SPEC §4.4: the initiator may blind once its OFFER is out, while the responder checks it.
      step(() => round.precompute());
    } else if (message.type === 'frame') {
      step(() => round.receive(message.bytes));
    }
  });
  post({ type: 'ready' });
} else {
  const psi = await loadPsi();
  const inputs = hexStrings(unpack(init.elements));
  let cpuStart: number | undefined;
  let busyMs = 0;
  const timed = <T>(work: () => T): [T, number] => {
    const started = performance.now();
    const value = work();
    const ms = performance.now() - started;
    busyMs += ms;
    return [value, ms];
  };
  if (init.kind === 'psi-server') {
    const server = psi.server.createWithNewKey(true);
    port.on('message', (message: ToWorker) => {
      if (message.type === 'start') {
        cpuStart = threadCpuMs();
        const [setup, ms] = timed(() => server.createSetupMessage(0.0, -1, inputs, psi.dataStructure.Raw).serializeBinary());
        post({ type: 'psi-message', step: 'setup', bytes: setup, ms });
      } else if (message.type === 'psi-request') {
        const [response, ms] = timed(() => server.processRequest(psi.request.deserializeBinary(message.bytes)).serializeBinary());
        post({ type: 'psi-message', step: 'process', bytes: response, ms });
        const cpuEnd = threadCpuMs();
        post({ type: 'psi-done', size: -1, ms: busyMs, cpuMs: cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart });
      }
    });
  } else {
    const client = psi.client.createWithNewKey(true);
    port.on('message', (message: ToWorker) => {
      if (message.type === 'start') {
        cpuStart = threadCpuMs();
        const [request, ms] = timed(() => client.createRequest(inputs).serializeBinary());
        post({ type: 'psi-message', step: 'request', bytes: request, ms });
      } else if (message.type === 'psi-finish') {
        const [size, ms] = timed(
          () => client.getIntersection(psi.serverSetup.deserializeBinary(message.setup), psi.response.deserializeBinary(message.response)).length,
        );
        post({ type: 'psi-message', step: 'intersection', bytes: new Uint8Array(0), ms });
        const cpuEnd = threadCpuMs();
        post({ type: 'psi-done', size, ms: busyMs, cpuMs: cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart });
      }
    });
  }
  post({ type: 'ready' });
}
