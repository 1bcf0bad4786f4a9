/**
 * venn synth: seeded synthetic identifier lists for N labs with planted overlaps (a
 * "distillation ring" every lab holds, and one overlap per pair of labs), written as the messy
 * CSV and JSONL exports labs really have, plus the ground truth of who should match what.
 * The same options give byte-identical output on every machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InternalError, ValidationError } from '@venn/errors';
import { MAX_SET_SIZE } from '@venn/wire';
import { DEFAULT_SYNTH_KINDS, JUNK, KIND_WEIGHTS, SYNTH_KINDS, isRejected, messySpelling, newCanonical, type SynthKind } from './synth-identifiers.js';
import { SeededRandom } from './synth-random.js';

export const GROUND_TRUTH_FILE = 'ground-truth.json';
export const MAX_SYNTH_LABS = 8;
/** A round's cap (SPEC §3.1): synth writes lists as large as one round carries. */
export const MAX_SYNTH_SIZE = MAX_SET_SIZE;

export interface SynthOptions {
  readonly labs: number;
  /** Distinct identifiers per lab (junk and repeated rows come on top). */
  readonly size: number;
  readonly seed: number;
  /** Fraction of each lab's identifiers that some other lab also holds (ring plus pairwise). */
  readonly overlap: number;
  readonly kinds: readonly SynthKind[];
  /** Chance that a row leaves the canonical spelling (default 0.6). */
  readonly messiness?: number;
}

export interface SynthLabels {
  category?: string;
  firstSeen?: string;
  reason?: string;
}

/** One file written for one lab: how to ingest it, and what ingest must report. */
export interface SynthFile {
  readonly lab: string;
  /** Relative to the output directory. */
  readonly path: string;
  readonly kind: SynthKind;
  readonly format: 'csv' | 'jsonl';
  /** Arguments for `venn ingest --dir DIR <ingest...> FILE`. */
  readonly ingest: readonly string[];
  /** Data rows (blank lines not counted). */
  readonly rows: number;
  readonly accepted: number;
  /** Rows that repeat an earlier row's identifier and account in another spelling. */
  readonly duplicates: number;
  readonly rejected: number;
  /** Expected reject reasons and how often each occurs. */
  readonly rejectReasons: Readonly<Record<string, number>>;
  /** What makes the file messy, for the demo's narration. */
  readonly quirks: readonly string[];
}

/** A planted overlap: identifiers held by exactly these labs. */
export interface SynthGroup {
  readonly name: string;
  readonly labs: readonly string[];
  readonly size: number;
}

/** One identifier of a lab that at least one peer also holds: a match the round must find. */
export interface ExpectedMatch {
  readonly kind: SynthKind;
  readonly account: string;
  readonly canonical: string;
  readonly group: string;
  readonly peers: readonly string[];
  /** Each peer's own labels on the identifier (before any label policy applies). */
  readonly peerLabels: Readonly<Record<string, SynthLabels>>;
}

export interface GroundTruth {
  readonly source: 'venn synth';
  readonly version: 1;
  readonly seed: number;
  readonly size: number;
  readonly overlap: number;
  readonly kinds: readonly SynthKind[];
  readonly labs: readonly string[];
  readonly groups: readonly SynthGroup[];
  readonly files: readonly SynthFile[];
  /** Per lab: distinct identifiers and the matches its rounds must find. */
  readonly expected: Readonly<Record<string, { readonly identifiers: number; readonly matches: readonly ExpectedMatch[] }>>;
}

interface Holding {
  readonly entity: Entity;
  readonly account: string;
  readonly labels: SynthLabels | undefined;
}

interface Entity {
  readonly kind: SynthKind;
  readonly canonical: string;
  readonly group: string;
  readonly holders: string[];
}

/** How one lab's exports look: column names, phone region, file habits. */
interface ExportStyle {
  readonly region: string;
  readonly columns: Readonly<Record<SynthKind, string>>;
  readonly account: string;
  readonly category: string;
  readonly firstSeen: string;
  readonly reason: string;
  accountRef(n: number): string;
  format(kind: SynthKind): 'csv' | 'jsonl';
  readonly bom: boolean;
  readonly crlf: boolean;
  readonly quoteAll: boolean;
  readonly paddedHeader: boolean;
}

const STYLES: readonly ExportStyle[] = [
  {
    region: 'US', columns: { email: 'email', phone: 'phone', device_id: 'device_id', payment_fingerprint: 'card_fingerprint', ip: 'ip', wallet: 'wallet', account: 'handle' },
    account: 'account_id', category: 'category', firstSeen: 'first_seen', reason: 'reason', accountRef: (n) => `acct_${String(n).padStart(7, '0')}`,
    format: () => 'csv', bom: true, crlf: true, quoteAll: false, paddedHeader: false,
  },
  {
    region: 'US', columns: { email: 'Email Address', phone: 'Phone Number', device_id: 'Device ID', payment_fingerprint: 'Payment Fingerprint', ip: 'IP Address', wallet: 'Wallet', account: 'External Account' },
    account: 'Account ID', category: 'Category', firstSeen: 'First Seen', reason: 'Reason', accountRef: (n) => `u-${n}`,
    format: (kind) => (kind === 'phone' || kind === 'ip' || kind === 'device_id' ? 'jsonl' : 'csv'), bom: false, crlf: false, quoteAll: false, paddedHeader: false,
  },
  {
    region: 'GB', columns: { email: 'user_email', phone: 'msisdn', device_id: 'idfa', payment_fingerprint: 'pm_fingerprint', ip: 'client_ip', wallet: 'wallet_address', account: 'linked_account' },
    account: 'uid', category: 'label', firstSeen: 'first_seen_date', reason: 'notes', accountRef: (n) => `C-2025-${String(n).padStart(6, '0')}`,
    format: () => 'csv', bom: false, crlf: true, quoteAll: true, paddedHeader: true,
  },
  {
    region: 'US', columns: { email: 'mail', phone: 'tel', device_id: 'device', payment_fingerprint: 'fingerprint', ip: 'src_ip', wallet: 'address', account: 'external_id' },
    account: 'user_id', category: 'category', firstSeen: 'firstSeen', reason: 'reason', accountRef: (n) => `usr${n}`,
    format: (kind) => (kind === 'email' ? 'csv' : 'jsonl'), bom: true, crlf: false, quoteAll: false, paddedHeader: false,
  },
];

const RING_REASONS = [
  'automated prompt harvesting across rotating API keys',
  'scripted high-volume sampling, outputs saved for distillation',
  'matched "teacher-student" query pattern',
  'bulk reasoning-trace extraction; paid with prepaid cards',
];
const CATEGORIES = ['payment-fraud', 'account-takeover', 'distillation', 'chargeback', 'spam', 'trial-abuse'];
const REASONS = ['velocity rule 7 tripped', 'chargeback, then new account within 1h', 'shared device with banned account', 'disposable email pattern', 'reported by "trust & safety" review', 'proxy / VPN exit, many signups'];

export function labIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `lab-${String.fromCharCode(97 + i)}`);
}

export function checkSynthOptions(options: SynthOptions): void {
  const { labs, size, seed, overlap, kinds } = options;
  if (!Number.isSafeInteger(labs) || labs < 2 || labs > MAX_SYNTH_LABS) throw new ValidationError('invalid-labs', `"labs" expected an integer between 2 and ${MAX_SYNTH_LABS}, got ${labs}`);
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SYNTH_SIZE) throw new ValidationError('invalid-size', `"size" expected an integer between 1 and ${MAX_SYNTH_SIZE}, got ${size}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValidationError('invalid-seed', `"seed" expected a non-negative integer, got ${seed}`);
  if (!(typeof overlap === 'number' && overlap >= 0 && overlap <= 1)) throw new ValidationError('invalid-overlap', `"overlap" expected a fraction between 0 and 1, got ${overlap}`);
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((kind) => !(SYNTH_KINDS as readonly string[]).includes(kind))) {
    throw new ValidationError('invalid-kinds', `"kinds" expected a non-empty list of ${SYNTH_KINDS.join(', ')}, got ${JSON.stringify(kinds)}`);
  }
  const messiness = options.messiness ?? 0.6;
  if (!(messiness >= 0 && messiness <= 1)) throw new ValidationError('invalid-messiness', `"messiness" expected a fraction between 0 and 1, got ${messiness}`);
}

/** Ring and pairwise group sizes: together about overlap·size of each lab's identifiers. */
function plantGroups(ids: readonly string[], size: number, overlap: number): SynthGroup[] {
  const shared = Math.round(size * overlap);
  if (ids.length === 2) return [{ name: 'ring', labs: [...ids], size: shared }];
  const ring = Math.round(shared * 0.4);
  const pair = Math.floor((shared - ring) / (ids.length - 1));
  const groups: SynthGroup[] = [{ name: 'ring', labs: [...ids], size: ring }];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) groups.push({ name: `${ids[i]}+${ids[j]}`, labs: [ids[i]!, ids[j]!], size: pair });
  }
  return groups;
}

function date(rng: SeededRandom): string {
  const month = rng.range(1, 10);
  const day = rng.range(1, 28);
  return `2025-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function labelsFor(group: string, labIndex: number, rng: SeededRandom): SynthLabels | undefined {
  const ring = group === 'ring';
  if (!rng.chance(ring ? 0.9 : group.includes('+') ? 0.7 : 0.35)) return undefined;
  const labels: SynthLabels = {};
  if (rng.chance(0.95)) labels.category = ring ? 'distillation' : rng.pick(CATEGORIES);
  if (rng.chance(0.8)) labels.firstSeen = date(rng);
  if (rng.chance(0.6)) labels.reason = ring ? RING_REASONS[labIndex % RING_REASONS.length]! : rng.pick(REASONS);
  return Object.keys(labels).length === 0 ? undefined : labels;
}

/** RFC 4180 field: quoted when it must be (or when the exporter quotes everything). */
function csvField(value: string, quote: boolean): string {
  return quote || /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

interface Row {
  readonly fields: Record<string, string | null>;
  /** A raw CSV line to write instead of the fields (a broken export line). */
  readonly rawCsv?: string;
  readonly rawJson?: string;
}

/** Generates every lab's lists and the ground truth, in memory. */
export function synthesize(options: SynthOptions): { files: Array<SynthFile & { content: string }>; groundTruth: GroundTruth } {
  checkSynthOptions(options);
  const { size, seed, overlap, kinds } = options;
  const messiness = options.messiness ?? 0.6;
  const ids = labIds(options.labs);
  const rng = new SeededRandom(seed);
  const weights = kinds.map((kind) => [kind, KIND_WEIGHTS[kind]] as const);
  const used = new Set<string>();
  const fresh = (kind: SynthKind, r: SeededRandom): string => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const canonical = newCanonical(kind, r);
      const key = `${kind}\u0000${canonical}`;
      if (!used.has(key)) {
        used.add(key);
        return canonical;
      }
    }
    throw new InternalError('synth-exhausted', `synthetic ${kind} expected a new value within 1000 draws, got only repeats (size too large for the kind's range)`);
  };

  const groups = plantGroups(ids, size, overlap);
  const sharedPerLab = new Map(ids.map((id) => [id, groups.filter((g) => g.labs.includes(id)).reduce((n, g) => n + g.size, 0)]));
  for (const [id, shared] of sharedPerLab) {
    if (shared > size) throw new ValidationError('invalid-overlap', `"overlap" ${overlap} plants ${shared} shared identifiers in ${id}, more than "size" ${size}`);
  }
  const entities: Entity[] = [];
  const entityRng = rng.fork();
  for (const group of groups) {
    for (let i = 0; i < group.size; i++) {
      const kind = entityRng.weighted(weights);
      entities.push({ kind, canonical: fresh(kind, entityRng), group: group.name, holders: [...group.labs] });
    }
  }
  for (const id of ids) {
    const own = size - (sharedPerLab.get(id) ?? 0);
    for (let i = 0; i < own; i++) {
      const kind = entityRng.weighted(weights);
      entities.push({ kind, canonical: fresh(kind, entityRng), group: `${id} only`, holders: [id] });
    }
  }

  // Each lab's holdings: its own account number and labels for every identifier it holds.
  const holdings = new Map<string, Holding[]>();
  ids.forEach((id, labIndex) => {
    const labRng = rng.fork();
    const style = STYLES[labIndex % STYLES.length]!;
    const mine = labRng.shuffle(entities.filter((e) => e.holders.includes(id)));
    let accountNumber = labRng.range(1000, 90_000);
    holdings.set(id, mine.map((entity) => {
      accountNumber += labRng.range(1, 9);
      return { entity, account: style.accountRef(accountNumber), labels: labelsFor(entity.group, labIndex, labRng) };
    }));
  });

  const files: Array<SynthFile & { content: string }> = [];
  ids.forEach((id, labIndex) => {
    const style = STYLES[labIndex % STYLES.length]!;
    const fileRng = rng.fork();
    for (const kind of kinds) {
      const list = (holdings.get(id) ?? []).filter((h) => h.entity.kind === kind);
      if (list.length === 0) continue;
      files.push(writeList(id, kind, list, style, fileRng, messiness, accountNumberSeed(fileRng)));
    }
  });

  const holdingByLab = new Map(ids.map((id) => [id, new Map((holdings.get(id) ?? []).map((h) => [h.entity, h]))]));
  const expected: Record<string, { identifiers: number; matches: ExpectedMatch[] }> = {};
  for (const id of ids) {
    const matches: ExpectedMatch[] = [];
    for (const holding of holdings.get(id) ?? []) {
      const peers = holding.entity.holders.filter((holder) => holder !== id).sort();
      if (peers.length === 0) continue;
      const peerLabels: Record<string, SynthLabels> = {};
      for (const peer of peers) {
        const labels = holdingByLab.get(peer)?.get(holding.entity)?.labels;
        if (labels !== undefined) peerLabels[peer] = { ...labels };
      }
      matches.push({ kind: holding.entity.kind, account: holding.account, canonical: holding.entity.canonical, group: holding.entity.group, peers, peerLabels });
    }
    matches.sort((a, b) => (a.kind === b.kind ? (a.account < b.account ? -1 : 1) : a.kind < b.kind ? -1 : 1));
    expected[id] = { identifiers: holdings.get(id)?.length ?? 0, matches };
  }

  const groundTruth: GroundTruth = {
    source: 'venn synth', version: 1, seed, size, overlap, kinds: [...kinds], labs: ids, groups,
    files: files.map(({ content: _content, ...file }) => file), expected,
  };
  return { files, groundTruth };
}

function accountNumberSeed(rng: SeededRandom): number {
  return rng.range(500_000, 900_000);
}

function writeList(lab: string, kind: SynthKind, list: readonly Holding[], style: ExportStyle, rng: SeededRandom, messiness: number, junkAccountBase: number): SynthFile & { content: string } {
  const format = style.format(kind);
  const column = style.columns[kind];
  const header = [style.account, column, style.category, style.firstSeen, style.reason];
  const quirks: string[] = [];
  const rows: Row[] = [];
  const rowOf = (holding: Holding, spelling: string): Row => ({
    fields: {
      [style.account]: holding.account, [column]: spelling, [style.category]: holding.labels?.category ?? null,
      [style.firstSeen]: holding.labels?.firstSeen ?? null, [style.reason]: holding.labels?.reason ?? null,
    },
  });
  let messy = 0;
  for (const holding of list) {
    const spelling = messySpelling(kind, holding.entity.canonical, style.region, rng, messiness);
    if (spelling !== holding.entity.canonical) messy++;
    rows.push(rowOf(holding, spelling));
  }
  if (messy > 0) quirks.push(`${messy} of ${list.length} values in a non-canonical spelling`);

  // Re-exported rows: the same account and identifier again, often spelled differently.
  const duplicates = Math.max(1, Math.round(list.length * 0.01));
  for (let i = 0; i < duplicates; i++) {
    const holding = rng.pick(list);
    rows.splice(rng.int(rows.length + 1), 0, rowOf(holding, messySpelling(kind, holding.entity.canonical, style.region, rng, 1)));
  }
  quirks.push(`${duplicates} repeated row${duplicates === 1 ? '' : 's'}`);

  const rejectReasons: Record<string, number> = {};
  const junk = JUNK[kind];
  const junkCount = Math.min(junk.length, Math.max(1, Math.round(list.length * 0.004)));
  let junkAccount = junkAccountBase;
  for (const [value, reason] of rng.shuffle([...junk]).slice(0, junkCount)) {
    // Junk must really be junk: a value the spec accepts would make the expected counts wrong.
    if (!isRejected(kind, value, style.region)) {
      throw new InternalError('synth-junk-accepted', `synthetic junk ${JSON.stringify(value)} expected to be rejected as ${kind} (${reason}), but it is accepted`);
    }
    rejectReasons[reason] = (rejectReasons[reason] ?? 0) + 1;
    rows.splice(rng.int(rows.length + 1), 0, { fields: { [style.account]: style.accountRef(junkAccount++), [column]: value, [style.category]: null, [style.firstSeen]: null, [style.reason]: null } });
  }
  // Broken lines: an unquoted comma (one field too many) in CSV; a cut-off object and a null in JSONL.
  if (format === 'csv') {
    const holding = rng.pick(list);
    const fields = [holding.account, holding.entity.canonical, 'spam', '2025-03-01', 'signup burst, same /24'];
    rows.splice(rng.int(rows.length + 1), 0, { fields: {}, rawCsv: fields.join(',') });
    rejectReasons['field-count'] = 1;
  } else {
    const cut = `{"${style.account}": "${style.accountRef(junkAccount++)}", "${column}": "${list[0]!.entity.canonical}",`;
    rows.splice(rng.int(rows.length + 1), 0, { fields: {}, rawJson: cut });
    rows.splice(rng.int(rows.length + 1), 0, { fields: { [style.account]: style.accountRef(junkAccount++), [column]: null } });
    rejectReasons['json-syntax'] = 1;
    rejectReasons['missing-field'] = 1;
  }
  const rejected = Object.values(rejectReasons).reduce((a, b) => a + b, 0);
  quirks.push(`${rejected} malformed row${rejected === 1 ? '' : 's'} (${Object.keys(rejectReasons).sort().join(', ')})`);

  let content: string;
  const eol = style.crlf ? '\r\n' : '\n';
  if (format === 'csv') {
    const head = header.map((name) => csvField(style.paddedHeader ? ` ${name} ` : name, style.quoteAll));
    const lines = [head.join(',')];
    for (const [i, row] of rows.entries()) {
      if (row.rawCsv !== undefined) lines.push(row.rawCsv);
      else lines.push(header.map((name) => csvField(row.fields[name] ?? '', style.quoteAll || rng.chance(0.05))).join(','));
      // Exports glued together from pages leave blank lines behind.
      if (i > 0 && i % 997 === 0) lines.push('');
    }
    content = `${style.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
    quirks.push(style.crlf ? 'CRLF line endings' : 'LF line endings');
    if (style.bom) quirks.push('UTF-8 byte-order mark');
    quirks.push(style.quoteAll ? 'every field quoted' : 'quoted fields where needed');
    if (style.paddedHeader) quirks.push('header names padded with spaces');
  } else {
    const lines: string[] = [];
    for (const row of rows) {
      if (row.rawJson !== undefined) {
        lines.push(row.rawJson);
        continue;
      }
      const object: Record<string, string | null> = {};
      for (const [name, value] of Object.entries(row.fields)) {
        // Absent labels are left out; a null identifier is what a broken export writes.
        if (value !== null || name === column) object[name] = value;
      }
      if (rng.chance(0.2)) object['exported_by'] = 'risk-pipeline/2.3';
      lines.push(JSON.stringify(object));
    }
    content = `${style.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`;
    quirks.push('JSON lines with extra members');
    if (style.bom) quirks.push('UTF-8 byte-order mark');
  }

  const ingest = ['--kind', kind, '--list', `${kind}-watchlist`, '--column', column, '--account-column', style.account,
    '--category-column', style.category, '--first-seen-column', style.firstSeen, '--reason-column', style.reason,
    ...(kind === 'phone' ? ['--region', style.region] : [])];
  return {
    lab, path: `${lab}/${kind}.${format}`, kind, format, ingest, rows: rows.length, accepted: list.length, duplicates, rejected, rejectReasons, quirks, content,
  };
}

/** Writes the lists and ground-truth.json under `outDir`; returns the ground truth. */
export function writeSynth(outDir: string, options: SynthOptions): GroundTruth {
  const { files, groundTruth } = synthesize(options);
  mkdirSync(outDir, { recursive: true });
  for (const file of files) {
    mkdirSync(join(outDir, file.lab), { recursive: true });
    writeFileSync(join(outDir, file.path), file.content);
  }
  writeFileSync(join(outDir, GROUND_TRUTH_FILE), `${JSON.stringify(groundTruth, null, 1)}\n`);
  return groundTruth;
}

export { DEFAULT_SYNTH_KINDS, SYNTH_KINDS };
