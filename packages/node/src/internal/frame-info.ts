/**
 * What a node records of a frame (node.md §6): its type, the points it carries and the set size
 * an OFFER declares. Decoded in the worker for live rounds, and at start-up for attempts a
 * previous process left open; never on the main thread while a peer is sending.
 */
import { decodeMessage } from '@venn/wire';
import type { FrameInfo } from './round-compute.js';

const UNDECODED: FrameInfo = { kind: null, points: 0, setSize: null };

export function frameInfoOf(bytes: Uint8Array): FrameInfo {
  try {
    const message = decodeMessage(bytes);
    switch (message.kind) {
      case 'offer':
        return { kind: 'offer', points: 0, setSize: message.setSize, ...(message.epoch === undefined ? {} : { epoch: true as const }) };
      case 'blinded':
      case 'evaluated':
      case 'removed':
        return { kind: message.kind, points: message.points.length / 32, setSize: null };
      default:
        return { kind: message.kind, points: 0, setSize: null };
    }
  } catch {
    return UNDECODED;
  }
}
