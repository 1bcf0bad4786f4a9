/** The node's one configuration file, venn.config.json, validated by ajv against a JSON schema. */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ValidationError, describe } from '@venn/errors';
import { MAX_EPOCH_SET_SIZE, MAX_SET_SIZE } from '@venn/wire';

export const CONFIG_FILE = 'venn.config.json';
export const CONFIG_VERSION = 1;

export type RoundMode = 'intersection' | 'cardinality';
export type LabelField = 'category' | 'first_seen' | 'reason';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** What this node accepts from one peer; enforced by this node when it evaluates the peer's set. */
export interface PeerPolicy {
  /** Largest set the peer may declare in its OFFER; larger sets are refused before any evaluation. */
  readonly maxPeerSetSize: number;
  /** Distinct rounds (scheduled and ad-hoc) per UTC day with this peer. */
  readonly maxRoundsPerDay: number;
  /** Ad-hoc rounds (outside any scheduled slot) per UTC day with this peer. */
  readonly maxAdHocRoundsPerDay: number;
  /** Evaluations served to the peer per rolling 24 hours, every attempt counted (node.md §5.2). */
  readonly maxEvaluationsPerDay: number;
  /** Evaluations served to the peer over all attempts of one round id (node.md §5.2). */
  readonly maxEvaluationsPerRound: number;
  /** Attempts of one round id this node takes part in, whatever their outcome (node.md §5.1). */
  readonly maxAttemptsPerRound: number;
  /** Abandonments in 24 hours after which the peer is suspended until cleared (node.md §5.3). */
  readonly maxAbandonmentsPerDay: number;
  readonly modes: readonly RoundMode[];
  /** Accepts cardinality mode, which protects this lab only against an honest peer (SPEC §10.4). */
  readonly acceptSemiHonestCardinality: boolean;
  /** Label fields this node reveals to the peer for matched items; empty shares none. */
  readonly shareLabels: readonly LabelField[];
  /** Runs rounds with a peer whose identifier rules differ (SPEC §4.3). */
  readonly allowIdentifierRulesMismatch: boolean;
  /** Key epochs (node.md §10.5): the largest set the peer may hold in an epoch (`ecap`). */
  readonly maxPeerEpochSetSize: number;
  /** Key epochs started with the peer per rolling 24 hours, either side's (node.md §10.5). */
  readonly maxEpochStartsPerDay: number;
  /** Rounds of key epochs with the peer per rolling 24 hours (node.md §10.5). */
  readonly maxEpochRoundsPerDay: number;
}

/** A policy as written in the file: budgets may be left to their defaults, derived from maxPeerSetSize. */
type WrittenPolicy = Omit<PeerPolicy, 'maxEvaluationsPerDay' | 'maxEvaluationsPerRound' | 'maxPeerEpochSetSize'> & { maxEvaluationsPerDay?: number; maxEvaluationsPerRound?: number; maxPeerEpochSetSize?: number };

/** node.md §1.1: a budget left out is twice the set-size cap (one full attempt and one full retry). */
export const DEFAULT_BUDGET_FACTOR = 2;

export interface RetryPolicy {
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly multiplier: number;
}

/** TLS for the peer listener and for dialing peers (transport.md §6.4); absolute paths. */
export interface TlsConfig {
  /** Serve wss:// with this certificate chain and private key; null serves ws://. */
  readonly server: { readonly certFile: string; readonly keyFile: string } | null;
  /** Extra trust anchors (PEM) for verifying the certificates of peers dialed at wss:// endpoints. */
  readonly caFile: string | null;
  /** Whether Node's bundled public CAs are trusted too. */
  readonly systemCa: boolean;
}

export interface NodeConfig {
  readonly version: 1;
  readonly id: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** `allowedHosts`: Host header names accepted besides the listen address (node.md §7). */
  readonly admin: { readonly host: string; readonly port: number; readonly allowedHosts: readonly string[] };
  /** Absolute paths, resolved against the node directory. */
  readonly paths: { readonly dir: string; readonly store: string; readonly identityKey: string; readonly roster: string; readonly adminToken: string };
  readonly logLevel: LogLevel;
  /** How far a peer's clock may differ from ours when it opens a scheduled round (seconds). */
  readonly clockSkewSeconds: number;
  readonly retry: RetryPolicy;
  /** A round that has not finished after this long is aborted with reason "timeout". */
  readonly roundTimeoutSeconds: number;
  /** Worker threads for round crypto. */
  readonly workers: number;
  /** The nice value the round worker threads give themselves on Linux, so the main thread is scheduled first (0: none). */
  readonly workerNice: number;
  readonly policy: WrittenPolicy;
  readonly peers: Readonly<Record<string, Partial<PeerPolicy>>>;
  readonly tls: TlsConfig;
  /** identifiers.md §12.5: this lab's extra hygiene values, applied by venn ingest; absolute path or null. */
  readonly hygiene: { readonly extraFile: string | null };
  /** venn matches marks a match whose digest more than this many local accounts hold. */
  readonly sharedValueAccounts: number;
  readonly ingest: IngestSettings;
  /** Per-list settings by list name: retention. */
  readonly lists: Readonly<Record<string, ListSettings>>;
}

export interface IngestSettings {
  /** An ingest that rejects more than this share of its rows (percent) fails and adds nothing. */
  readonly maxRejectPercent: number;
  /** Where rejects files go when --rejects is not given; null: next to the input. Absolute. */
  readonly rejectsDir: string | null;
}

export interface ListSettings {
  /** Items expire this long after `ttlFrom`; undefined keeps them. */
  readonly ttlSeconds?: number;
  readonly ttlFrom: 'ingest' | 'first_seen';
}

const policyProperties = {
  // SPEC §5.3: an OFFER cannot state a larger cap.
  maxPeerSetSize: { type: 'integer', minimum: 0, maximum: MAX_SET_SIZE },
  maxRoundsPerDay: { type: 'integer', minimum: 0, maximum: 1440 },
  maxAdHocRoundsPerDay: { type: 'integer', minimum: 0, maximum: 100_000 },
  maxEvaluationsPerDay: { type: 'integer', minimum: 0, maximum: 2 ** 40 },
  maxEvaluationsPerRound: { type: 'integer', minimum: 0, maximum: 2 ** 40 },
  maxAttemptsPerRound: { type: 'integer', minimum: 1, maximum: 100 },
  maxAbandonmentsPerDay: { type: 'integer', minimum: 1, maximum: 10_000 },
  modes: { type: 'array', items: { enum: ['intersection', 'cardinality'] }, uniqueItems: true, maxItems: 2 },
  acceptSemiHonestCardinality: { type: 'boolean' },
  shareLabels: { type: 'array', items: { enum: ['category', 'first_seen', 'reason'] }, uniqueItems: true, maxItems: 3 },
  allowIdentifierRulesMismatch: { type: 'boolean' },
  // SPEC §13: an epoch holds at most MAX_EPOCH_SET_SIZE elements per side.
  maxPeerEpochSetSize: { type: 'integer', minimum: 0, maximum: MAX_EPOCH_SET_SIZE },
  maxEpochStartsPerDay: { type: 'integer', minimum: 0, maximum: 1000 },
  maxEpochRoundsPerDay: { type: 'integer', minimum: 0, maximum: 100_000 },
} as const;

const hostPort = { type: 'string', pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$', maxLength: 300, expected: 'HOST:PORT (e.g. 127.0.0.1:7001)' } as const;
// The roster's member id syntax (protocol-spec/roster.md).
const labIdPattern = '^[a-z0-9][a-z0-9-]{0,62}$';
const labIdExpected = 'a lab id: 1 to 63 characters a-z, 0-9 and "-", not starting with "-"';
const relativeOrAbsolutePath = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/** The JSON schema of venn.config.json (draft-07); defaults are filled in by ajv. */
export const configSchema = {
  $id: 'https://venn.invalid/schemas/venn.config.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'id', 'listen'],
  properties: {
    version: { const: CONFIG_VERSION },
    id: { type: 'string', pattern: labIdPattern, expected: labIdExpected },
    listen: hostPort,
    admin: { ...hostPort, default: '127.0.0.1:7100' },
    adminAllowedHosts: {
      type: 'array', default: [], maxItems: 32, uniqueItems: true,
      items: { type: 'string', maxLength: 300, pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$', expected: 'a host name, or HOST:PORT, as a browser sends it in the Host header' },
    },
    store: { ...relativeOrAbsolutePath, default: 'venn.db' },
    identityKey: { ...relativeOrAbsolutePath, default: 'identity.key' },
    roster: { ...relativeOrAbsolutePath, default: 'roster.json' },
    adminToken: { ...relativeOrAbsolutePath, default: 'admin.token' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 3600, default: 120 },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        initialDelaySeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600, default: 5 },
        maxDelaySeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400, default: 300 },
        multiplier: { type: 'number', minimum: 1, maximum: 10, default: 2 },
      },
    },
    roundTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 86_400, default: 900 },
    workers: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
    workerNice: { type: 'integer', minimum: 0, maximum: 19, default: 10 },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // The node-wide policy is published in the roster, whose caps start at 1; a per-peer
        // override of 0 blocks that peer.
        maxPeerSetSize: { ...policyProperties.maxPeerSetSize, minimum: 1, default: 1_000_000 },
        maxRoundsPerDay: { ...policyProperties.maxRoundsPerDay, minimum: 1, default: 8 },
        maxAdHocRoundsPerDay: { ...policyProperties.maxAdHocRoundsPerDay, default: 4 },
        // Budgets left out are derived from maxPeerSetSize (policyFor), per peer if it has its own cap.
        maxEvaluationsPerDay: policyProperties.maxEvaluationsPerDay,
        maxEvaluationsPerRound: policyProperties.maxEvaluationsPerRound,
        maxAttemptsPerRound: { ...policyProperties.maxAttemptsPerRound, default: 4 },
        maxAbandonmentsPerDay: { ...policyProperties.maxAbandonmentsPerDay, default: 3 },
        // SPEC §10.4: cardinality mode is semi-honest only, so it is never on by default.
        modes: { ...policyProperties.modes, minItems: 1, default: ['intersection'] },
        acceptSemiHonestCardinality: { ...policyProperties.acceptSemiHonestCardinality, default: false },
        shareLabels: { ...policyProperties.shareLabels, default: [] },
        allowIdentifierRulesMismatch: { ...policyProperties.allowIdentifierRulesMismatch, default: false },
        // Left out: the peer's epoch set may be as large as one round's cap (policyFor).
        maxPeerEpochSetSize: policyProperties.maxPeerEpochSetSize,
        maxEpochStartsPerDay: { ...policyProperties.maxEpochStartsPerDay, default: 4 },
        maxEpochRoundsPerDay: { ...policyProperties.maxEpochRoundsPerDay, default: 2000 },
      },
    },
    peers: {
      type: 'object',
      default: {},
      propertyNames: { pattern: labIdPattern },
      additionalProperties: { type: 'object', additionalProperties: false, properties: policyProperties },
    },
    ingest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxRejectPercent: { type: 'number', minimum: 0, maximum: 100, default: 50 },
        rejectsDir: relativeOrAbsolutePath,
      },
    },
    lists: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ttl: { type: 'string', pattern: '^[1-9][0-9]{0,9}[smhdw]$', expected: 'a duration like 90d, 12h, 30m or 2w' },
          ttlFrom: { enum: ['ingest', 'first_seen'], default: 'ingest' },
        },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        certFile: relativeOrAbsolutePath,
        keyFile: relativeOrAbsolutePath,
        caFile: relativeOrAbsolutePath,
        systemCa: { type: 'boolean', default: true },
      },
      // A listener needs both halves; either alone is a mistake, not a request for ws://.
      dependencies: { certFile: ['keyFile'], keyFile: ['certFile'] },
    },
    hygiene: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        extraFile: relativeOrAbsolutePath,
      },
    },
    sharedValueAccounts: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 5 },
  },
} as const;

/** One schema violation: the field path, the offending value and what was expected. */
export interface ConfigIssue {
  readonly field: string;
  readonly value: string;
  readonly expected: string;
}

/** A config file that does not satisfy the schema; `issues` lists every violation. */
export class ConfigError extends ValidationError {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `"${issue.field}" expected ${issue.expected}, got ${issue.value}`);
    super('invalid-config', `${source}: ${lines.join('; ')}`);
    this.issues = issues;
  }
}

/**
 * The ajv instance that validates configSchema, with `extra` options. The bundled command line
 * (scripts/bundle-cli.mjs) compiles the schema with this same instance ahead of time, as ajv's
 * standalone code, and replaces the compile below with it.
 */
export function configAjv(extra: Record<string, unknown> = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, ...extra });
  ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
  return ajv;
}

const validateConfig = configAjv().compile(configSchema);

/** `/peers/lab-b/modes/0` → `peers.lab-b.modes[0]`. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let path = '';
  for (const part of parts) path += /^[0-9]+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  return path === '' ? '(root)' : path;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let value = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function expectation(error: ErrorObject): string {
  // Schemas may carry a human phrase for what they expect (the "expected" annotation keyword).
  const annotated = (error.parentSchema as { expected?: unknown } | undefined)?.expected;
  if (typeof annotated === 'string') return annotated;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${String(params['type'])}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const ops: Record<string, string> = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' };
      return `a number ${ops[error.keyword] ?? ''} ${String(params['limit'])}`;
    }
    case 'enum':
      return `one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return JSON.stringify(params['allowedValue']);
    case 'uniqueItems':
      return 'no duplicate items';
    case 'minLength':
      return 'a non-empty string';
    case 'maxLength':
      return `at most ${String(params['limit'])} characters`;
    case 'minItems':
      return `at least ${String(params['limit'])} items`;
    case 'maxItems':
      return `at most ${String(params['limit'])} items`;
    default:
      return error.message ?? error.keyword;
  }
}

function toIssues(errors: readonly ErrorObject[], root: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'additionalProperties') {
      const name = String(params['additionalProperty']);
      issues.push({ field: fieldPath(error.instancePath, name), value: describe(valueAt(root, `${error.instancePath}/${name}`)), expected: 'no such field (unknown field)' });
    } else if (error.keyword === 'dependencies') {
      issues.push({ field: fieldPath(error.instancePath, String(params['missingProperty'])), value: 'nothing (missing)', expected: `a value when ${fieldPath(error.instancePath, String(params['property']))} is set` });
    } else if (error.keyword === 'required') {
      issues.push({ field: fieldPath(error.instancePath, String(params['missingProperty'])), value: 'nothing (missing)', expected: 'a value (required field)' });
    } else if (error.keyword === 'propertyNames') {
      const what = error.instancePath.startsWith('/lists') ? 'list names (1 to 64 characters A-Z, a-z, 0-9, ".", "_", "-")' : `lab ids (${labIdExpected})`;
      issues.push({ field: fieldPath(error.instancePath), value: `a key ${JSON.stringify(params['propertyName'])}`, expected: `keys that are ${what}` });
    } else if (error.keyword === 'pattern' && error.propertyName !== undefined) {
      continue; // reported once through the propertyNames error above
    } else {
      issues.push({ field: fieldPath(error.instancePath), value: describe(valueAt(root, error.instancePath)), expected: expectation(error) });
    }
  }
  return issues;
}

function parseHostPort(text: string, field: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(CONFIG_FILE, [{ field, value: JSON.stringify(text), expected: 'a port between 0 and 65535' }]);
  }
  return { host, port };
}

/**
 * Validates a parsed config document and resolves it against the node directory. Every schema
 * violation is reported at once, each naming its field path, the value and what was expected.
 */
export function parseConfig(document: unknown, dir: string, source = CONFIG_FILE): NodeConfig {
  // ajv fills defaults in place; work on a copy so the caller's object is untouched.
  const copy = structuredClone(document) as unknown;
  if (!validateConfig(copy)) throw new ConfigError(source, toIssues(validateConfig.errors ?? [], copy));
  const raw = copy as unknown as {
    id: string; listen: string; admin: string; adminAllowedHosts: string[]; store: string; identityKey: string; roster: string; adminToken: string;
    logLevel: LogLevel; clockSkewSeconds: number; retry: RetryPolicy; roundTimeoutSeconds: number; workers: number; workerNice: number;
    policy: WrittenPolicy; peers: Record<string, Partial<PeerPolicy>>;
    tls: { certFile?: string; keyFile?: string; caFile?: string; systemCa: boolean };
    hygiene: { extraFile?: string }; sharedValueAccounts: number;
    ingest: { maxRejectPercent: number; rejectsDir?: string };
    lists: Record<string, { ttl?: string; ttlFrom: 'ingest' | 'first_seen' }>;
  };
  // SPEC §10.4: cardinality mode lets a malicious peer learn which of its elements this lab holds.
  const semiHonestIssues: ConfigIssue[] = [];
  for (const [field, policy] of [['policy', raw.policy] as const, ...Object.entries(raw.peers).map(([id, p]) => [`peers.${id}`, p] as const)]) {
    const modes = policy.modes ?? raw.policy.modes;
    const accepted = policy.acceptSemiHonestCardinality ?? raw.policy.acceptSemiHonestCardinality;
    if (modes.includes('cardinality') && !accepted) {
      semiHonestIssues.push({
        field: `${field}.modes`, value: JSON.stringify(modes),
        expected: `no "cardinality" unless ${field}.acceptSemiHonestCardinality is true: in cardinality mode a malicious peer learns which of its elements this lab holds, while this lab learns only a count (protocol-spec/SPEC.md §10.4)`,
      });
    }
  }
  if (semiHonestIssues.length > 0) throw new ConfigError(source, semiHonestIssues);
  if (raw.retry.initialDelaySeconds > raw.retry.maxDelaySeconds) {
    throw new ConfigError(source, [{ field: 'retry.initialDelaySeconds', value: String(raw.retry.initialDelaySeconds), expected: `a number <= retry.maxDelaySeconds (${raw.retry.maxDelaySeconds})` }]);
  }
  if (Object.hasOwn(raw.peers, raw.id)) {
    throw new ConfigError(source, [{ field: `peers.${raw.id}`, value: 'a policy for this node itself', expected: 'policies for other labs only' }]);
  }
  const resolve = (path: string): string => (isAbsolute(path) ? path : join(dir, path));
  const tls: TlsConfig = {
    server: raw.tls.certFile === undefined || raw.tls.keyFile === undefined ? null : { certFile: resolve(raw.tls.certFile), keyFile: resolve(raw.tls.keyFile) },
    caFile: raw.tls.caFile === undefined ? null : resolve(raw.tls.caFile),
    systemCa: raw.tls.systemCa,
  };
  const tlsIssues = checkTlsFiles(tls);
  if (tlsIssues.length > 0) throw new ConfigError(source, tlsIssues);
  return {
    version: CONFIG_VERSION,
    id: raw.id,
    listen: parseHostPort(raw.listen, 'listen'),
    admin: { ...parseHostPort(raw.admin, 'admin'), allowedHosts: raw.adminAllowedHosts },
    paths: { dir, store: resolve(raw.store), identityKey: resolve(raw.identityKey), roster: resolve(raw.roster), adminToken: resolve(raw.adminToken) },
    logLevel: raw.logLevel,
    clockSkewSeconds: raw.clockSkewSeconds,
    retry: raw.retry,
    roundTimeoutSeconds: raw.roundTimeoutSeconds,
    workers: raw.workers,
    workerNice: raw.workerNice,
    policy: raw.policy,
    peers: raw.peers,
    tls,
    hygiene: { extraFile: raw.hygiene.extraFile === undefined ? null : resolve(raw.hygiene.extraFile) },
    sharedValueAccounts: raw.sharedValueAccounts,
    ingest: { maxRejectPercent: raw.ingest.maxRejectPercent, rejectsDir: raw.ingest.rejectsDir === undefined ? null : resolve(raw.ingest.rejectsDir) },
    lists: Object.fromEntries(Object.entries(raw.lists).map(([name, list]) => [name, {
      ...(list.ttl === undefined ? {} : { ttlSeconds: durationSeconds(list.ttl) }), ttlFrom: list.ttlFrom,
    }])),
  };
}

/** A schema-checked duration ("90d") in seconds. */
function durationSeconds(text: string): number {
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[text.slice(-1) as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(text.slice(0, -1)) * unit;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads a file for `field`, or records why it cannot be read. */
function readForField(path: string, field: string, issues: ConfigIssue[], expected: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (cause) {
    issues.push({ field, value: `${(cause as NodeJS.ErrnoException).code ?? 'an unreadable file'} at ${path}`, expected });
    return undefined;
  }
}

/** Every PEM certificate in `pem`, or records the first that does not parse. */
function certificatesIn(pem: Buffer, path: string, field: string, issues: ConfigIssue[], expected: string): X509Certificate[] | undefined {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    issues.push({ field, value: `no PEM certificate in ${path}`, expected });
    return undefined;
  }
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (cause) {
      issues.push({ field, value: `certificate ${index + 1} of ${path} that does not parse (${(cause as Error).message})`, expected });
      return undefined;
    }
  }
  return certificates;
}

/**
 * The TLS files must exist, be readable and hold what they claim at load time, so a bad path or a
 * key of another certificate is named here rather than as an OpenSSL error when the listener starts.
 */
function checkTlsFiles(tls: TlsConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (tls.server !== null) {
    const chainExpected = 'a readable PEM file holding the certificate chain, leaf first';
    const keyExpected = 'a readable, unencrypted PEM private key';
    const chainPem = readForField(tls.server.certFile, 'tls.certFile', issues, chainExpected);
    const keyPem = readForField(tls.server.keyFile, 'tls.keyFile', issues, keyExpected);
    const chain = chainPem === undefined ? undefined : certificatesIn(chainPem, tls.server.certFile, 'tls.certFile', issues, chainExpected);
    let key: KeyObject | undefined;
    if (keyPem !== undefined) {
      try {
        key = createPrivateKey(keyPem);
      } catch (cause) {
        issues.push({ field: 'tls.keyFile', value: `${tls.server.keyFile}, which does not parse (${(cause as Error).message})`, expected: keyExpected });
      }
    }
    const leaf = chain?.[0];
    if (leaf !== undefined && key !== undefined && !leaf.checkPrivateKey(key)) {
      issues.push({ field: 'tls.keyFile', value: `a key that does not match ${tls.server.certFile}`, expected: 'the private key of the first certificate in tls.certFile' });
    }
  }
  if (tls.caFile !== null) {
    const expected = 'a readable PEM file of one or more trust-anchor certificates';
    const pem = readForField(tls.caFile, 'tls.caFile', issues, expected);
    if (pem !== undefined) certificatesIn(pem, tls.caFile, 'tls.caFile', issues, expected);
  }
  return issues;
}

/** A roster member as far as TLS cares: its id and published endpoint. */
export interface EndpointMember {
  readonly id: string;
  readonly endpoint: string;
}

/**
 * Checks the TLS settings against the installed roster: a wss:// peer needs some trust anchor, and
 * a node serving TLS must be published at wss:// (peers dial the roster endpoint's scheme).
 */
export function tlsRosterIssues(tls: TlsConfig, self: EndpointMember, peers: readonly EndpointMember[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (tls.server !== null && !self.endpoint.startsWith('wss://')) {
    issues.push({
      field: 'tls.certFile',
      value: `the roster endpoint ${self.endpoint} for ${self.id}, which peers dial without TLS`,
      expected: 'a wss:// roster endpoint for this node (or no tls.certFile and tls.keyFile)',
    });
  }
  const secured = peers.filter((peer) => peer.endpoint.startsWith('wss://'));
  if (secured.length > 0 && tls.caFile === null && !tls.systemCa) {
    issues.push({
      field: 'tls.caFile',
      value: 'nothing, and tls.systemCa is false',
      expected: `trust anchors for the wss:// endpoints of ${secured.map((peer) => peer.id).join(', ')} (a CA file, or tls.systemCa true)`,
    });
  }
  return issues;
}

/** The trust options for dialing `endpoint`: none for ws://, this node's anchors for wss://. */
export function dialTls(tls: TlsConfig, endpoint: string): { caFile?: string; includeSystemCa?: boolean } | undefined {
  if (!endpoint.startsWith('wss://')) return undefined;
  // Without a CA file, Node's default store (bundled CAs and NODE_EXTRA_CA_CERTS) applies.
  if (tls.caFile === null) return {};
  return { caFile: tls.caFile, includeSystemCa: tls.systemCa };
}

/** Reads DIR/venn.config.json; a missing file or bad JSON is a ValidationError naming the file. */
export function loadConfig(dir: string): NodeConfig {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ValidationError('config-not-found', `"${path}" expected a Venn node config file (run venn init --dir ${dir}), got ${(cause as NodeJS.ErrnoException).code ?? 'an unreadable file'}`, { cause });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError('invalid-config', `"${path}" expected JSON, got a parse error: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(document, dir, path);
}

/** The policy this node applies to `peerId`: the node-wide policy with the peer's overrides. */
export function policyFor(config: NodeConfig, peerId: string): PeerPolicy {
  const override = config.peers[peerId] ?? {};
  const merged = { ...config.policy, ...override };
  // node.md §1.1: budgets default to twice the cap that applies to this peer.
  return {
    ...merged,
    maxEvaluationsPerDay: merged.maxEvaluationsPerDay ?? DEFAULT_BUDGET_FACTOR * merged.maxPeerSetSize,
    maxEvaluationsPerRound: merged.maxEvaluationsPerRound ?? DEFAULT_BUDGET_FACTOR * merged.maxPeerSetSize,
    maxPeerEpochSetSize: merged.maxPeerEpochSetSize ?? merged.maxPeerSetSize,
  };
}
