/**
 * `venn audit`: transcript bundles and the round log for auditors (protocol-spec/audit.md §8–§11).
 * export / head / prove / export-log read a node directory; verify / cross-check need only files and
 * the roster, so an auditor runs them without a node of its own.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  MAX_BUNDLE_BYTES,
  MAX_EXPORTED_LOG_BYTES,
  crossCheckLogs,
  decodeExportedLog,
  decodeTranscriptBundle,
  encodeExportedLog,
  encodeSignedTreeHead,
  hashLeaf,
  verifyConsistency,
  verifyInclusion,
  verifyTranscriptBundle,
  verifyTreeHead,
  type AuditRoster,
  type BundleReport,
  type CrossCheckReport,
  type ExportedLog,
  type SignedTreeHead,
} from '@venn/audit';
import { ready as cryptoReady } from '@venn/crypto';
import { ValidationError } from '@venn/errors';
import { decodeMessage } from '@venn/wire';
import type { CommandIo } from '../main.js';
import { auditRosterOf, exportedLogOf, latestHead, loggedAttempt, signedHead, transcriptBundleOf } from '../internal/audit-files.js';
import { UsageError, hex, integerOption, isoTime, parseCommand, stringOption, writeJson, type CommandSpec, type ParsedValues } from '../internal/command.js';
import { loadConfig, type NodeConfig } from '../internal/config.js';
import { readInputFile } from '../internal/input-file.js';
import { readPublicKey } from '../internal/keyfile.js';
import { dirOption } from '../internal/node-dir.js';
import { readRosterFile } from '../internal/roster.js';
import { Store, type RoundRecord } from '../internal/store.js';

const dirFlag = { type: 'string', value: 'DIR', description: 'node directory' } as const;
const jsonFlag = { type: 'boolean', description: 'print JSON' } as const;

const specs = {
  export: {
    name: 'audit export',
    summary: 'Write the transcript bundle of a round: both parties\' frames (labels only as stream digests), this node\'s log leaf, signed head and inclusion proof.',
    synopsis: '',
    positionals: { min: 0, max: 0 },
    options: {
      dir: dirFlag,
      round: { type: 'string', value: 'ROUND_ID', description: 'round id (hex, at least 8 leading digits)' },
      attempt: { type: 'string', value: 'N', description: 'attempt number (default: the latest logged attempt)' },
      out: { type: 'string', value: 'FILE', description: 'where to write the bundle' },
      json: { type: 'boolean', description: 'print what was written as JSON' },
    },
  },
  verify: {
    name: 'audit verify',
    summary: 'Re-verify a transcript bundle against a roster: log inclusion, frames, policy, slot, transcript, both proofs, both FINISH signatures and the intersection size.',
    synopsis: 'FILE',
    positionals: { min: 1, max: 1 },
    options: {
      roster: { type: 'string', value: 'ROSTER.json', description: 'the roster the round ran under' },
      previous: { type: 'string', multiple: true, value: 'PREV', description: 'a bundle of an earlier round of the same key epoch (repeat for each): checks the chain and the epoch\'s intersection, and verifies each of them too' },
      json: { type: 'boolean', description: 'print the full report as JSON' },
    },
    details: 'Exit 0: the round is fully re-verified (and, with --previous, every earlier round given and the chain). Exit 1: the first failing check and the party at fault are named on stderr.',
  },
  head: {
    name: 'audit head',
    summary: 'Print this node\'s latest signed tree head.',
    synopsis: '',
    positionals: { min: 0, max: 0 },
    options: { dir: dirFlag, json: jsonFlag },
  },
  prove: {
    name: 'audit prove',
    summary: 'Print an inclusion proof of a round\'s leaf (--round) or a consistency proof between two log sizes (--from, --to).',
    synopsis: '',
    positionals: { min: 0, max: 0 },
    options: {
      dir: dirFlag,
      round: { type: 'string', value: 'ROUND_ID', description: 'round id (hex prefix): inclusion proof against the latest signed head' },
      attempt: { type: 'string', value: 'N', description: 'attempt number (default: the latest logged attempt)' },
      from: { type: 'string', value: 'N', description: 'older log size: consistency proof' },
      to: { type: 'string', value: 'M', description: 'newer log size (default: the latest signed head)' },
      json: jsonFlag,
    },
  },
  'export-log': {
    name: 'audit export-log',
    summary: 'Write this node\'s whole log: leaves, its signed heads and the heads peers sent in OFFERs.',
    synopsis: '',
    positionals: { min: 0, max: 0 },
    options: { dir: dirFlag, out: { type: 'string', value: 'FILE', description: 'where to write the log' }, json: { type: 'boolean', description: 'print what was written as JSON' } },
  },
  'cross-check': {
    name: 'audit cross-check',
    summary: 'Compare two labs\' exported logs: rounds missing from one, different transcript hashes, heads that are not consistent (split views).',
    synopsis: 'LOG_A LOG_B',
    positionals: { min: 2, max: 2 },
    options: {
      roster: { type: 'string', value: 'ROSTER.json', description: 'the roster naming both labs\' identity keys' },
      json: jsonFlag,
    },
    details: 'Exit 0: no issue. Exit 1: issues found (listed on stdout).',
  },
} satisfies Record<string, CommandSpec>;

type Subcommand = keyof typeof specs;

function usage(): string {
  const names = Object.keys(specs) as Subcommand[];
  const width = Math.max(...names.map((name) => name.length));
  return ['usage: venn audit <subcommand> [options]', '', 'subcommands:', ...names.map((name) => `  ${name.padEnd(width)}  ${specs[name].summary}`), '', 'Every subcommand takes --help.', ''].join('\n');
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (!(name in specs)) throw new UsageError(`unknown subcommand "${name}"; expected one of ${Object.keys(specs).join(', ')}`);
  const spec: CommandSpec = specs[name as Subcommand];
  const parsed = parseCommand(spec, rest, io);
  if (parsed === null) return 0;
  // Signatures are checked through libsodium in every subcommand.
  await cryptoReady();
  switch (name as Subcommand) {
    case 'export': return exportBundle(parsed.values, io);
    case 'verify': return verifyBundle(parsed.positionals[0]!, parsed.values, io);
    case 'head': return printHead(parsed.values, io);
    case 'prove': return prove(parsed.values, io);
    case 'export-log': return exportLog(parsed.values, io);
    case 'cross-check': return crossCheck(parsed.positionals as [string, string], parsed.values, io);
  }
}

// ---- node directory side -----------------------------------------------------------------------

/** The node's store, read-only: auditing never writes, and works while the daemon runs. */
function openStore(values: ParsedValues, spec: CommandSpec): { config: NodeConfig; store: Store } {
  const config = loadConfig(dirOption(values, spec));
  return { config, store: Store.open(config.paths.store, { readonly: true }) };
}

function writeAtomically(path: string, bytes: Uint8Array): string {
  const target = resolve(path);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, target);
  return target;
}

/** The logged attempt of a round: the one asked for, or the latest with a leaf. */
function loggedAttemptOf(store: Store, values: ParsedValues, spec: CommandSpec): { round: RoundRecord; index: number } {
  return loggedAttempt(store, store.resolveRoundId(stringOption(values, 'round', spec)), integerOption(values, 'attempt', spec, 1, 0xffff_ffff));
}

function headJson(head: SignedTreeHead): Record<string, unknown> {
  return { size: head.size, root: hex(head.root), timestamp: isoTime(head.timestamp), signature: hex(head.signature), encoded: hex(encodeSignedTreeHead(head)) };
}

function exportBundle(values: ParsedValues, io: CommandIo): number {
  const spec = specs.export;
  const out = stringOption(values, 'out', spec);
  const { config, store } = openStore(values, spec);
  try {
    const logged = loggedAttemptOf(store, values, spec);
    const { round, index } = logged;
    const { bytes, frames, treeHead } = transcriptBundleOf(store, config.id, logged);
    const path = writeAtomically(out, bytes);
    if (values['json'] === true) {
      writeJson(io, {
        file: path, roundId: hex(round.roundId), attempt: round.attempt, status: round.status, reason: round.reason,
        frames, bytes: bytes.length, leaf: index, log: config.id, headSize: treeHead.size,
      });
      return 0;
    }
    io.stdout.write(`${path}: round ${hex(round.roundId)} attempt ${round.attempt} (${round.status}${round.reason === null ? '' : `, ${round.reason}`}), `
      + `${frames} frames, ${bytes.length} bytes; leaf ${index} under ${config.id}'s head of size ${treeHead.size}\n`);
    return 0;
  } finally {
    store.close();
  }
}

function printHead(values: ParsedValues, io: CommandIo): number {
  const spec = specs.head;
  const { config, store } = openStore(values, spec);
  try {
    const head = latestHead(store);
    const logSize = store.logSize();
    // A head is only worth printing if it verifies under the node's own identity key.
    const signatureValid = verifyTreeHead(head, config.id, readPublicKey(config.paths.identityKey));
    const report = { log: config.id, logSize, current: head.size === logSize, signatureValid, head: headJson(head) };
    if (values['json'] === true) {
      writeJson(io, report);
    } else {
      io.stdout.write([
        `log        ${config.id} (${logSize} leaves${report.current ? '' : `; the head covers ${head.size}`})`,
        `size       ${head.size}`,
        `root       ${hex(head.root)}`,
        `timestamp  ${isoTime(head.timestamp)}`,
        `signature  ${hex(head.signature)} (${signatureValid ? 'valid' : 'INVALID'} under ${config.id}'s identity key)`,
        `encoded    ${hex(encodeSignedTreeHead(head))}`,
        '',
      ].join('\n'));
    }
    return signatureValid ? 0 : 1;
  } finally {
    store.close();
  }
}

function prove(values: ParsedValues, io: CommandIo): number {
  const spec = specs.prove;
  const byRound = values['round'] !== undefined;
  const byRange = values['from'] !== undefined || values['to'] !== undefined;
  if (byRound === byRange) throw new UsageError('expected either --round ROUND_ID (inclusion) or --from N [--to M] (consistency) (see venn audit prove --help)');
  const { config, store } = openStore(values, spec);
  try {
    if (byRound) {
      const { round, index } = loggedAttemptOf(store, values, spec);
      const head = latestHead(store, index);
      const leaf = store.log.leaf(index);
      const proof = store.log.inclusionProof(index, head.size);
      // Checked before printing: a proof that does not verify is a broken store, not output.
      const verified = verifyInclusion(hashLeaf(leaf), index, head.size, proof, head.root);
      const report = {
        kind: 'inclusion', log: config.id, roundId: hex(round.roundId), attempt: round.attempt, status: round.status, leafIndex: index,
        leaf: hex(leaf), leafHash: hex(hashLeaf(leaf)), head: headJson(head), proof: proof.map(hex), verified,
      };
      if (values['json'] === true) writeJson(io, report);
      else io.stdout.write(`inclusion of leaf ${index} (round ${report.roundId.slice(0, 16)}… attempt ${round.attempt}) in ${config.id}'s log of size ${head.size}: ${verified ? 'verified' : 'DOES NOT VERIFY'}\nleaf      ${report.leaf}\nleafHash  ${report.leafHash}\nroot      ${hex(head.root)}\n${proof.map((hash, i) => `proof[${i}]  ${hex(hash)}`).join('\n')}${proof.length > 0 ? '\n' : ''}`);
      return verified ? 0 : 1;
    }
    const size = store.logSize();
    const to = integerOption(values, 'to', spec, 0, size) ?? latestHead(store).size;
    const from = integerOption(values, 'from', spec, 0, to);
    if (from === undefined) throw new UsageError('"--from" expected the older log size (see venn audit prove --help)');
    const proof = store.log.consistencyProof(from, to);
    const first = store.log.root(from);
    const second = store.log.root(to);
    const verified = verifyConsistency(from, to, first, second, proof);
    const heads = [store.treeHead(from), store.treeHead(to)].map((head) => (head === undefined ? null : headJson(signedHead(head))));
    const report = { kind: 'consistency', log: config.id, from: { size: from, root: hex(first), head: heads[0] }, to: { size: to, root: hex(second), head: heads[1] }, proof: proof.map(hex), verified };
    if (values['json'] === true) writeJson(io, report);
    else io.stdout.write(`consistency of ${config.id}'s log from size ${from} to ${to}: ${verified ? 'verified' : 'DOES NOT VERIFY'}\nroot ${from}  ${hex(first)}${heads[0] === null ? ' (no signed head of this size)' : ''}\nroot ${to}  ${hex(second)}${heads[1] === null ? ' (no signed head of this size)' : ''}\n${proof.map((hash, i) => `proof[${i}]  ${hex(hash)}`).join('\n')}${proof.length > 0 ? '\n' : ''}`);
    return verified ? 0 : 1;
  } finally {
    store.close();
  }
}

function exportLog(values: ParsedValues, io: CommandIo): number {
  const spec = specs['export-log'];
  const out = stringOption(values, 'out', spec);
  const { config, store } = openStore(values, spec);
  try {
    const log = exportedLogOf(store, config.id);
    const bytes = encodeExportedLog(log);
    const path = writeAtomically(out, bytes);
    if (values['json'] === true) {
      writeJson(io, { file: path, log: config.id, leaves: log.leaves.length, heads: log.heads.length, peerHeads: log.peerHeads.length, bytes: bytes.length });
      return 0;
    }
    io.stdout.write(`${path}: ${config.id}'s log, ${log.leaves.length} leaves, ${log.heads.length} signed heads, ${log.peerHeads.length} peer heads, ${bytes.length} bytes\n`);
    return 0;
  } finally {
    store.close();
  }
}

// ---- auditor side: files and the roster ----------------------------------------------------------

/** A bundle or exported log named on the command line: a regular file of at most `max` bytes (input-file.ts). */
function readBounded(path: string, max: number, what: string): Uint8Array {
  return readInputFile(path, what, { code: 'file-unavailable', max });
}

function rosterOption(values: ParsedValues, spec: CommandSpec): AuditRoster {
  return auditRosterOf(readRosterFile(stringOption(values, 'roster', spec), 'roster'));
}

function reportLines(report: BundleReport): string {
  const s = report.summary;
  const lines = [
    `round      ${s.roundId ?? '?'} attempt ${s.attempt ?? '?'}: ${s.initiator ?? '?'} (initiator) and ${s.responder ?? '?'} (responder), ${s.mode ?? 'mode unknown'}, logged ${s.status ?? '?'} by ${s.exporter ?? '?'}`,
    `sizes      ${s.setSizes.initiator ?? '-'} / ${s.setSizes.responder ?? '-'}; caps ${s.caps.initiator ?? '-'} / ${s.caps.responder ?? '-'}; claimed ${s.claims.initiator ?? '-'} / ${s.claims.responder ?? '-'}; recomputed ${s.recomputed.initiator ?? '-'} / ${s.recomputed.responder ?? '-'}`,
    ...report.checks.map((check) => `${check.status.toUpperCase().padEnd(4)} ${check.name.padEnd(18)} ${check.detail}`),
  ];
  return `${lines.join('\n')}\n`;
}

function verdict(report: BundleReport): string {
  const failure = report.failure!;
  const party = failure.party === null ? 'undetermined' : `${failure.party}${failure.member === null ? '' : ` (${failure.member})`}`;
  return `invalid: check "${failure.name}" failed; party at fault: ${party}: ${failure.detail}`;
}

async function verifyBundle(file: string, values: ParsedValues, io: CommandIo): Promise<number> {
  const spec = specs.verify;
  const roster = rosterOption(values, spec);
  const bytes = readBounded(file, MAX_BUNDLE_BYTES, 'FILE');
  const previous = ((values['previous'] as string[] | undefined) ?? []).map((path) => ({ path, bytes: readBounded(path, MAX_BUNDLE_BYTES, 'PREV') }));
  // audit.md §9.4: each earlier round of the epoch is verified too, against the rounds before it.
  const reports: Array<{ file: string; report: BundleReport }> = [];
  const ordered = orderByEpochRound(previous);
  ordered.forEach((entry, i) => reports.push({ file: entry.path, report: verifyTranscriptBundle(entry.bytes, roster, { previous: ordered.slice(0, i).map((p) => p.bytes) }) }));
  reports.push({ file, report: verifyTranscriptBundle(bytes, roster, { previous: previous.map((p) => p.bytes) }) });
  const report = reports.at(-1)!.report;
  if (values['json'] === true) writeJson(io, previous.length === 0 ? report : { ...report, previous: reports.slice(0, -1) });
  else for (const entry of reports) io.stdout.write(`${reports.length > 1 ? `${entry.file}:\n` : ''}${reportLines(entry.report)}`);
  const invalid = reports.find((entry) => !entry.report.valid);
  // audit.md §9.4: asked for the chain, an auditor who gets a skipped chain gets no verdict on it.
  const chain = report.checks.find((check) => check.name === 'epoch-chain');
  if (invalid === undefined && previous.length > 0 && chain?.status === 'skip') {
    io.stderr.write(`venn audit verify: check "epoch-chain" skipped: ${chain.detail}; "--previous" expected the bundle of the round before\n`);
    return 1;
  }
  if (invalid === undefined) {
    if (values['json'] !== true) io.stdout.write(`valid: every check passed (${report.summary.status}${previous.length === 0 ? '' : `, with ${previous.length} earlier round${previous.length === 1 ? '' : 's'} of the epoch`})\n`);
    return 0;
  }
  io.stderr.write(`venn audit verify: ${reports.length > 1 ? `${invalid.file}: ` : ''}${verdict(invalid.report)}\n`);
  return 1;
}

/** Earlier bundles in epoch order (their OFFERs' round index); those that do not decode keep their place and fail on their own. */
function orderByEpochRound(bundles: ReadonlyArray<{ path: string; bytes: Uint8Array }>): Array<{ path: string; bytes: Uint8Array }> {
  const indexOf = (bytes: Uint8Array): number => {
    try {
      const bundle = decodeTranscriptBundle(bytes);
      for (const frame of [...bundle.initiator.frames, ...bundle.responder.frames]) {
        const message = decodeMessage(frame);
        if (message.kind === 'offer' && message.epoch !== undefined) return message.epoch.index;
      }
    } catch {
      // The bundle's own verification names what is wrong with it.
    }
    return -1;
  };
  return [...bundles].map((entry) => ({ entry, index: indexOf(entry.bytes) })).sort((x, y) => x.index - y.index).map(({ entry }) => entry);
}

function readLog(path: string): ExportedLog {
  return decodeExportedLog(readBounded(path, MAX_EXPORTED_LOG_BYTES, 'LOG'));
}

function crossCheckLines(report: CrossCheckReport): string {
  const lines = report.logs.map((log) => `log ${log.id}: ${log.size} leaves, ${log.heads} signed heads${log.latestHead === null ? '' : ` (latest size ${log.latestHead.size} at ${isoTime(log.latestHead.timestamp)})`}, ${log.sharedLeaves} leaves of shared rounds, ${log.peerHeadsOfOther} heads of the other log`);
  lines.push(`${report.matchedRounds} rounds in both logs`);
  for (const issue of report.issues) lines.push(`ISSUE   ${issue.kind.padEnd(20)} ${issue.lab ?? '-'}  ${issue.detail}`);
  for (const issue of report.pending) lines.push(`PENDING ${issue.kind.padEnd(20)} ${issue.lab ?? '-'}  ${issue.detail}`);
  lines.push(report.consistent ? 'consistent: no issue found' : `inconsistent: ${report.issues.length} issue${report.issues.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

async function crossCheck(files: [string, string], values: ParsedValues, io: CommandIo): Promise<number> {
  const spec = specs['cross-check'];
  const roster = rosterOption(values, spec);
  const logs = files.map(readLog) as [ExportedLog, ExportedLog];
  const report = crossCheckLogs(logs[0], logs[1], roster);
  if (values['json'] === true) writeJson(io, report);
  else io.stdout.write(crossCheckLines(report));
  if (report.consistent) return 0;
  io.stderr.write(`venn audit cross-check: ${report.issues.length} issue${report.issues.length === 1 ? '' : 's'}; first: ${report.issues[0]!.kind} (${report.issues[0]!.lab ?? 'both'}): ${report.issues[0]!.detail}\n`);
  return 1;
}

