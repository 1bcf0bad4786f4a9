/** `venn init`: creates a node directory and prints this lab's roster entry. */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandIo } from '../main.js';
import { CONFIG_FILE, parseConfig, type LabelField, type RoundMode } from '../internal/config.js';
import { PASSPHRASE_ENV, createKeyFile } from '../internal/keyfile.js';
import { Store } from '../internal/store.js';
import { UsageError, integerOption, listOption, parseCommand, stringOption, writeJson, type CommandSpec } from '../internal/command.js';
import { ValidationError } from '@venn/errors';
import { MAX_SET_SIZE } from '@venn/wire';

export const spec: CommandSpec = {
  name: 'init',
  summary: 'Create a node directory (config, identity key, store) and print this lab\'s roster entry as JSON.',
  synopsis: '',
  positionals: { min: 0, max: 0 },
  details: `The identity key is sealed with a passphrase when ${PASSPHRASE_ENV} is set.`,
  options: {
    dir: { type: 'string', value: 'DIR', description: 'node directory to create' },
    id: { type: 'string', value: 'LAB_ID', description: 'this lab\'s id in the roster (a-z, 0-9, "-")' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'address the node listens on for peers' },
    admin: { type: 'string', value: 'HOST:PORT', description: 'admin HTTP address (default 127.0.0.1:7100)' },
    name: { type: 'string', value: 'NAME', description: 'display name in the roster (default: the id)' },
    endpoint: { type: 'string', value: 'URL', description: 'endpoint peers dial (default ws://LISTEN)' },
    'max-peer-set-size': { type: 'string', value: 'N', description: `largest peer set this node evaluates, 1 to ${MAX_SET_SIZE} (default 1000000)` },
    'max-rounds-per-day': { type: 'string', value: 'N', description: 'rounds per peer per UTC day (default 8)' },
    modes: { type: 'string', value: 'LIST', description: 'allowed modes: intersection,cardinality (default intersection; cardinality needs --accept-semi-honest-cardinality)' },
    'accept-semi-honest-cardinality': { type: 'boolean', description: 'accept cardinality mode, which protects this lab only from honest peers: a malicious peer learns which of its identifiers this lab holds, while this lab learns only a count (SPEC §10.4)' },
    'share-labels': { type: 'string', value: 'LIST', description: 'label fields shared for matches: category,first_seen,reason or none (default none)' },
    json: { type: 'boolean', description: 'print the roster entry as JSON (it always is; accepted like every command\'s --json)' },
  },
};

const LAB_ID = /^[a-z0-9](?:[a-z0-9-]{0,62})$/;

function writeNewFile(path: string, content: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(spec, argv, io);
  if (parsed === null) return 0;
  const { values } = parsed;
  const dir = resolve(stringOption(values, 'dir', spec));
  const id = stringOption(values, 'id', spec);
  if (!LAB_ID.test(id)) throw new UsageError(`"--id" expected 1 to 63 characters a-z, 0-9 and "-", not starting with "-", got ${JSON.stringify(id)}`);
  const listen = stringOption(values, 'listen', spec);
  const admin = stringOption(values, 'admin', spec, true) ?? '127.0.0.1:7100';
  const policy: Record<string, unknown> = {};
  const maxPeerSetSize = integerOption(values, 'max-peer-set-size', spec, 1, MAX_SET_SIZE);
  if (maxPeerSetSize !== undefined) policy['maxPeerSetSize'] = maxPeerSetSize;
  const maxRoundsPerDay = integerOption(values, 'max-rounds-per-day', spec, 1, 1440);
  if (maxRoundsPerDay !== undefined) policy['maxRoundsPerDay'] = maxRoundsPerDay;
  const modes = listOption<RoundMode>(values, 'modes', ['intersection', 'cardinality'], spec);
  if (modes !== undefined) {
    if (modes.length === 0) throw new UsageError('"--modes" expected at least one of intersection, cardinality, got none');
    if (modes.includes('cardinality') && values['accept-semi-honest-cardinality'] !== true) {
      throw new UsageError('"--modes" expected no cardinality without --accept-semi-honest-cardinality: in cardinality mode a malicious peer learns which of its identifiers this lab holds, while this lab learns only a count (protocol-spec/SPEC.md §10.4)');
    }
    policy['modes'] = modes;
  }
  if (values['accept-semi-honest-cardinality'] === true) policy['acceptSemiHonestCardinality'] = true;
  const shareLabels = listOption<LabelField>(values, 'share-labels', ['category', 'first_seen', 'reason'], spec);
  if (shareLabels !== undefined) policy['shareLabels'] = shareLabels;

  const document = { version: 1, id, listen, admin, policy };
  // Validate before touching the disk, so a bad flag leaves nothing half-created.
  const config = parseConfig(document, dir, '--listen/--admin');
  const endpoint = stringOption(values, 'endpoint', spec, true)
    ?? `ws://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${config.listen.port}`;
  checkEndpoint(endpoint);

  if (existsSync(join(dir, CONFIG_FILE))) {
    throw new ValidationError('already-initialized', `"--dir" expected a new or empty node directory, got ${dir} which already has ${CONFIG_FILE}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passphrase = process.env[PASSPHRASE_ENV];
  const publicKey = await createKeyFile(config.paths.identityKey, { passphrase });
  // The admin token authorizes state-changing admin requests (venn round); same protection as the key.
  writeNewFile(config.paths.adminToken, `${randomBytes(32).toString('hex')}\n`, 0o600);
  Store.open(config.paths.store).close();
  writeNewFile(join(dir, CONFIG_FILE), `${JSON.stringify(document, null, 2)}\n`, 0o644);

  writeJson(io, {
    id,
    name: stringOption(values, 'name', spec, true) ?? id,
    endpoint,
    identityKey: Buffer.from(publicKey).toString('hex'),
    policy: {
      maxPeerSetSize: config.policy.maxPeerSetSize,
      maxRoundsPerDay: config.policy.maxRoundsPerDay,
      modes: config.policy.modes,
      shareLabels: config.policy.shareLabels,
    },
  });
  return 0;
}

/**
 * roster.md §1: the URL peers dial as written (transport.md §6.6). A path is allowed, for a proxy
 * that routes by path; credentials, a query or a fragment are not.
 */
function checkEndpoint(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  const ok = url !== undefined && (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== ''
    && url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !/[\s?#]/.test(endpoint) && endpoint.length <= 512;
  if (!ok) {
    throw new UsageError(`"--endpoint" expected a ws:// or wss:// URL with a host, an optional port and path, and no credentials, query or fragment, got ${JSON.stringify(endpoint)}`);
  }
}
