/** @venn/node: the matching node daemon's building blocks, used by the `venn` CLI. */
export { CONFIG_FILE, ConfigError, configSchema, loadConfig, parseConfig, policyFor } from './internal/config.js';
export type { ConfigIssue, LabelField, LogLevel, NodeConfig, PeerPolicy, RetryPolicy, RoundMode } from './internal/config.js';
