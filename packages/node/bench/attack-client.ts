/**
 * A malicious roster member (SPEC §10.3): a client of its own that uses a real member's identity
 * and the real transport, but plays the round only as far as it pays. It probes a victim node
 * for a membership oracle ("which of my guesses are in your list?") and leaves without answering.
 * Used by the regression tests of the attacks and by `npm run attack`; never by the daemon.
 *
 * As initiator it dials a round id of its choosing, sends OFFER and BLINDED k·H(guess), collects
 * the victim's BLINDED list and its EVALUATED answers, tests k·C_victim[p] against them and
 * closes. As responder it answers a victim's dial the same way and then sends ABORT with a code
 * the victim might treat as transient.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToGroupMany, randomScalar, ready, scalarBaseMult, scalarMultPacked, systemRng, wipe } from '@venn/crypto';
import { identifierDigest, identifierRules, identifierRulesString } from '@venn/identifiers';
import { HASH_TO_GROUP_DST } from '@venn/protocol';
import { SessionError, connect, createServer, parseRoster, rosterDigest, transportReady, type Roster, type Session, type TransportServer } from '@venn/transport';
import { MAX_CHUNK_POINTS, MAX_FRAME_BYTES, MAX_SET_SIZE, PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message } from '@venn/wire';
import { loadKeyFile } from '@venn/node';

export interface Member {
  readonly id: string;
  readonly secretKey: Uint8Array;
  readonly roster: Roster;
  readonly rosterDigest: Uint8Array;
}

/** A member's identity and roster, read from its node directory. */
export async function loadMember(dir: string): Promise<Member> {
  await ready();
  await transportReady();
  const config = JSON.parse(readFileSync(join(dir, 'venn.config.json'), 'utf8')) as { id: string };
  const roster = parseRoster(readFileSync(join(dir, 'roster.json'), 'utf8'));
  const identity = await loadKeyFile(join(dir, 'identity.key'));
  return { id: config.id, secretKey: identity.secretKey, roster, rosterDigest: rosterDigest(roster) };
}

/** Email guesses as the digests a victim that ingested them would hold. */
export function emailDigests(emails: readonly string[]): Uint8Array[] {
  return emails.map((email) => identifierDigest('email', email));
}

export interface ProbeResult {
  /** The victim refused the session before any round message (transport CLOSE code). */
  readonly refused: { readonly code: string; readonly detail: string } | null;
  /** The victim's ABORT code, if it sent one. */
  readonly victimAbort: string | null;
  /** The victim's declared set size, from its OFFER. */
  readonly victimSetSize: number | null;
  /** How many of the guesses the victim evaluated (points of its EVALUATED chunks received). */
  readonly answered: number;
  /** The guesses found in the victim's list. */
  readonly members: readonly Uint8Array[];
}

interface ProbeState {
  key: Uint8Array;
  guesses: readonly Uint8Array[];
  victimSetSize: number | null;
  victimBlinded: Uint8Array[];
  evaluated: Uint8Array[];
  victimAbort: string | null;
}

function chunks(packed: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < packed.length; at += MAX_CHUNK_POINTS * 32) out.push(packed.subarray(at, Math.min(packed.length, at + MAX_CHUNK_POINTS * 32)));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** Our OFFER and BLINDED chunks for the guesses, under a fresh key. */
function opening(member: Member, victimId: string, roundId: Uint8Array, guesses: readonly Uint8Array[], state: ProbeState): Uint8Array[] {
  const publicKey = scalarBaseMult(state.key);
  const blinded = guesses.length === 0 ? new Uint8Array(0) : scalarMultPacked(state.key, hashToGroupMany(guesses, HASH_TO_GROUP_DST));
  const offer: Message = {
    kind: 'offer', version: PROTOCOL_VERSION, roundId, rosterDigest: member.rosterDigest, sender: member.id, receiver: victimId,
    mode: 'intersection', setSize: guesses.length, maxPeerSetSize: MAX_SET_SIZE, labelFields: [],
    // The rules string is public (the code version): a member sends what the victim expects.
    identifierRules: identifierRulesString(identifierRules()), publicKey, logHead: null,
  };
  return [encodeMessage(offer), ...chunks(blinded).map((points, seq) => encodeMessage({ kind: 'blinded', roundId, seq, points }))];
}

/** Takes one frame of the victim's; true once everything needed to test the guesses is in. */
function absorb(frame: Uint8Array, state: ProbeState): boolean {
  const message = decodeMessage(frame);
  if (message.kind === 'abort') {
    state.victimAbort = message.reason;
    return true;
  }
  if (message.kind === 'offer') state.victimSetSize = message.setSize;
  if (message.kind === 'blinded') state.victimBlinded.push(message.points);
  if (message.kind === 'evaluated') state.evaluated.push(message.points);
  if (state.victimSetSize === null) return false;
  const blindedDone = state.victimBlinded.reduce((n, c) => n + c.length / 32, 0) === state.victimSetSize;
  const answeredAll = state.evaluated.reduce((n, c) => n + c.length / 32, 0) === state.guesses.length;
  return blindedDone && answeredAll;
}

/** The oracle: guess j is in the victim's list iff E[j] = k·C_victim[p] for some p. */
function membersOf(state: ProbeState): Uint8Array[] {
  const evaluated = concat(state.evaluated);
  const found: Uint8Array[] = [];
  if (state.victimSetSize === null || state.victimSetSize === 0 || evaluated.length === 0) return found;
  const doubly = scalarMultPacked(state.key, concat(state.victimBlinded));
  const values = new Set<string>();
  for (let p = 0; p < doubly.length; p += 32) values.add(Buffer.from(doubly.subarray(p, p + 32)).toString('hex'));
  for (let j = 0; j * 32 < evaluated.length; j++) {
    if (values.has(Buffer.from(evaluated.subarray(j * 32, j * 32 + 32)).toString('hex'))) found.push(state.guesses[j]!);
  }
  return found;
}

function result(state: ProbeState, refused: ProbeResult['refused']): ProbeResult {
  const answered = state.evaluated.reduce((n, c) => n + c.length / 32, 0);
  const members = refused === null ? membersOf(state) : [];
  wipe(state.key);
  return { refused, victimAbort: state.victimAbort, victimSetSize: state.victimSetSize, answered, members };
}

async function drain(session: Session, state: ProbeState, timeoutMs: number): Promise<void> {
  const deadline = setTimeout(() => void session.close('probe timed out'), timeoutMs);
  try {
    for await (const frame of session) {
      if (absorb(frame, state)) break;
    }
  } catch {
    // The victim closed: what arrived is what we got.
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * Attack 1 (SPEC §10.3): dial the victim for `roundId` (any 32 bytes, reused at will), ask it to
 * evaluate `guesses`, take its answers and leave without sending a single evaluation back.
 */
export async function probeAsInitiator(options: { member: Member; victimId: string; roundId: Uint8Array; guesses: readonly Uint8Array[]; timeoutMs?: number }): Promise<ProbeResult> {
  const { member, victimId, roundId, guesses } = options;
  const state: ProbeState = { key: randomScalar(systemRng), guesses, victimSetSize: null, victimBlinded: [], evaluated: [], victimAbort: null };
  let session: Session;
  try {
    session = await connect({ roster: member.roster, identity: { id: member.id, secretKey: member.secretKey }, peerId: victimId, purpose: roundId, limits: { maxMessageBytes: MAX_FRAME_BYTES } });
  } catch (error) {
    const refused = error instanceof SessionError ? { code: error.code, detail: error.detail } : { code: 'unreachable', detail: (error as Error).message };
    return result(state, refused);
  }
  for (const frame of opening(member, victimId, roundId, guesses, state)) await session.send(frame);
  await drain(session, state, options.timeoutMs ?? 30_000);
  await session.close('leaving').catch(() => undefined);
  return result(state, null);
}

/**
 * The variant: a malicious responder on the member's roster endpoint. Every time the victim dials
 * it, it answers with its OFFER and a fresh batch of guesses, takes the victim's answers and
 * sends ABORT `abortCode` (e.g. internal-error), which an honest initiator may retry.
 */
export async function listenAsResponder(options: { member: Member; host: string; port: number; nextGuesses: () => readonly Uint8Array[]; abortCode: string; onProbe: (result: ProbeResult) => void }): Promise<TransportServer> {
  const { member } = options;
  return createServer({
    host: options.host, port: options.port, roster: member.roster, identity: { id: member.id, secretKey: member.secretKey },
    limits: { maxMessageBytes: MAX_FRAME_BYTES },
    acceptPurpose: () => ({ accept: true }),
    onSession: (session) => {
      void (async () => {
        const guesses = options.nextGuesses();
        const state: ProbeState = { key: randomScalar(systemRng), guesses, victimSetSize: null, victimBlinded: [], evaluated: [], victimAbort: null };
        const iterator = session[Symbol.asyncIterator]();
        const first = await iterator.next();
        if (first.done === true) return;
        const offer = decodeMessage(first.value);
        if (offer.kind !== 'offer') return;
        state.victimSetSize = offer.setSize;
        const [ourOffer, ...ourBlinded] = opening(member, offer.sender, session.purpose, guesses, state);
        for (const frame of [ourOffer!, ...ourBlinded]) await session.send(frame);
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done === true || absorb(next.value, state)) break;
          }
        } catch {
          // closed by the victim
        }
        await session.send(encodeMessage({ kind: 'abort', roundId: session.purpose, reason: options.abortCode, detail: '' })).catch(() => undefined);
        await session.close('leaving').catch(() => undefined);
        options.onProbe(result(state, null));
      })();
    },
  });
}
