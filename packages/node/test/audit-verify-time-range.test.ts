/**
 * `venn audit verify` on leaves and heads dated beyond the range of a date (audit.md §3, §4, §9.1
 * check 9, §9.2): a slot at or after 8.64e12 s fails check `slot` naming the exporter under any
 * schedule, a six-hourly one included (croner cannot search past the last date), and a head
 * validly signed far in the future gets the bundle's verdict: exit 1 with the verdict line, never
 * exit 70.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogStorage, MerkleLog, buildTranscriptBundle, encodeRoundRecord, encodeTranscriptBundle, signTreeHead } from '@venn/audit';
import { ready as cryptoReady } from '@venn/crypto';
import { parseRoster, rosterDigest } from '@venn/transport';
import { main } from '../src/main.js';
import { loadKeyFile } from '../src/internal/keyfile.js';
import { adHocRoundId } from '../src/internal/schedule.js';

const root = mkdtempSync(join(tmpdir(), 'venn-audit-time-range-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }

async function venn(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable => new Writable({ write(chunk: Buffer, _encoding, done) { append(chunk.toString()); done(); } });
  const code = await main(args, { stdout: sink((text) => { stdout += text; }), stderr: sink((text) => { stderr += text; }) });
  return { code, stdout, stderr };
}

const dirs = { 'lab-a': join(root, 'lab-a'), 'lab-b': join(root, 'lab-b') };
const rosterPath = join(root, 'roster.json');
const rosterSixHourlyPath = join(root, 'roster-6h.json');
let digestSixHourly: Uint8Array = new Uint8Array(32);
const file = (name: string): string => join(root, name);
let digest: Uint8Array = new Uint8Array(32);
let secretKeyA: Uint8Array = new Uint8Array(64);

beforeAll(async () => {
  await cryptoReady();
  const entries: string[] = [];
  for (const [i, [id, dir]] of Object.entries(dirs).entries()) {
    const init = await venn(['init', '--dir', dir, '--id', id, '--listen', `127.0.0.1:${7501 + i}`, '--admin', `127.0.0.1:${7601 + i}`]);
    expect(init.code).toBe(0);
    writeFileSync(file(`${id}.json`), init.stdout);
    entries.push(file(`${id}.json`));
  }
  const built = await venn(['roster', 'build', '--name', 'time-range', '--schedule', '0 0 * * *', '--out', rosterPath, ...entries]);
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
  digest = rosterDigest(parseRoster(readFileSync(rosterPath, 'utf8')));
  const sixHourly = await venn(['roster', 'build', '--name', 'time-range', '--schedule', '0 */6 * * *', '--out', rosterSixHourlyPath, ...entries]);
  expect(sixHourly.code).toBe(0);
  digestSixHourly = rosterDigest(parseRoster(readFileSync(rosterSixHourlyPath, 'utf8')));
  secretKeyA = (await loadKeyFile(join(dirs['lab-a'], 'identity.key'))).secretKey;
}, 60_000);

/** A bundle of an attempt that never reached the peer (no frame), lab-a's leaf logged with `slot`, under a head lab-a signed. */
function unreachedAttempt(slot: number | null, headTimestamp = 1_950_000_000_001, rosterDigestOfRound: Uint8Array = digest): Uint8Array {
  const log = new MerkleLog(new MemoryLogStorage());
  const leaf = encodeRoundRecord({
    roundId: adHocRoundId(rosterDigestOfRound, 'lab-a', 'lab-b', new Uint8Array(16).fill(7)), attempt: 1, rosterDigest: rosterDigestOfRound, slot, initiatorId: 'lab-a', responderId: 'lab-b',
    status: 'aborted', reason: 'peer-unreachable', transcriptHash: new Uint8Array(0), initiatorClaim: null, responderClaim: null, timestamp: 1_950_000_000_000,
    initiatorSetSize: null, responderSetSize: null, initiatorEvaluations: 0, responderEvaluations: 0, endedBy: 'initiator',
  });
  const { index } = log.append(leaf);
  const head = signTreeHead(log.treeHead(headTimestamp), 'lab-a', secretKeyA.slice());
  return encodeTranscriptBundle(buildTranscriptBundle({ exporter: 'lab-a', leaf, leafIndex: index, treeHead: head, inclusionProof: log.inclusionProof(index, head.size), messages: [] }));
}

describe('venn audit verify on a leaf slot or head timestamp past the last date', () => {
  // audit.md §9.1 check 9 (`slot`: "the slot is an instant of the roster's cron ...", else the
  // exporter is at fault), §9.2 (exit 1 with the verdict line) and §3 (a slot is any u64 up to
  // 2^53 − 1, so such a leaf decodes). A slot past the year 275760 is no instant of any cron.
  for (const slot of [2 ** 53 - 1, 10_000_000_000_000]) {
    it(`a leaf with slot ${slot} fails check "slot", blaming the exporter`, async () => {
      writeFileSync(file(`slot-${slot}.bundle`), unreachedAttempt(slot));
      const result = await venn(['audit', 'verify', file(`slot-${slot}.bundle`), '--roster', rosterPath]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^venn audit verify: invalid: check "slot" failed; party at fault: exporter \(lab-a\): /);
    });
  }

  // The same check under a roster whose schedule is every six hours ('0 */6 * * *', which
  // `venn roster build` accepts): slot 8,640,000,000,000 s is the last second a date holds, and
  // croner cannot search from it; slots just before it are asked of the schedule, and croner's
  // RangeError there means no instant.
  for (const slot of [8_640_000_000_000, 8_639_999_999_999]) {
    it(`a leaf with slot ${slot} under a six-hourly roster fails check "slot", blaming the exporter`, async () => {
      writeFileSync(file(`slot-6h-${slot}.bundle`), unreachedAttempt(slot, undefined, digestSixHourly));
      const result = await venn(['audit', 'verify', file(`slot-6h-${slot}.bundle`), '--roster', rosterSixHourlyPath]);
      expect(result.stderr).toMatch(/^venn audit verify: invalid: check "slot" failed; party at fault: exporter \(lab-a\): /);
      expect(result.code).toBe(1);
    });
  }

  // audit.md §4 (a head's timestamp is any u64 up to 2^53 − 1 on the owner's clock; §6: timestamps
  // are self-asserted), §9.2 (exit 1 with the verdict line). A head lab-a validly signed with a
  // far-future timestamp is a valid head.
  it('an unreached attempt under a validly signed head dated 2^53 − 1 gets its verdict (completed, undetermined), exit 1', async () => {
    writeFileSync(file('head-far.bundle'), unreachedAttempt(null, 2 ** 53 - 1));
    const result = await venn(['audit', 'verify', file('head-far.bundle'), '--roster', rosterPath]);
    expect(result.stderr).toMatch(/^venn audit verify: invalid: check "completed" failed; party at fault: undetermined: /);
    expect(result.code).toBe(1);
  });
});

