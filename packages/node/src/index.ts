/** @venn/node: the matching node daemon's building blocks, used by the `venn` CLI. */
export { CONFIG_FILE, ConfigError, configSchema, loadConfig, parseConfig, policyFor, tlsRosterIssues } from './internal/config.js';
export type { ConfigIssue, EndpointMember, LabelField, LogLevel, NodeConfig, PeerPolicy, RetryPolicy, RoundMode, TlsConfig } from './internal/config.js';
export { FINAL_STATUSES, Store, utcDay } from './internal/store.js';
export type {
  ListItem, ListSummary, MatchInput, MatchRecord, PeerHead, QuotaDecision, RoundOrigin, RoundOutcome, RoundRecord,
  RoundRole, RoundStatus, StoreOptions, TreeHeadRecord,
} from './internal/store.js';
export { migrations } from './internal/migrations.js';
export type { Migration } from './internal/migrations.js';
export { PASSPHRASE_ENV, createKeyFile, isSealed, loadKeyFile, readPublicKey } from './internal/keyfile.js';
export type { Identity, KdfParams } from './internal/keyfile.js';
export { epochId, epochRoundId, epochSlotStart } from './internal/epoch-ids.js';
export { scheduledInitiator } from './internal/schedule.js';
export { loopbackPort } from './internal/loopback-port.js';
