/** JSON logs (pino). Every round line carries `roundId`; secrets are never fields of a log line. */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Field names that would hold secret material; pino replaces their values if one slips in. */
const REDACTED = ['secretKey', 'privateKey', 'seed', 'passphrase', 'scalar', 'token', 'authorization', '*.secretKey', '*.privateKey', '*.seed', '*.passphrase', '*.scalar', '*.token', '*.authorization', 'req.headers.authorization'];

export function createLogger(options: { level: LogLevel; node: string; destination?: DestinationStream; now?: () => number }): Logger {
  const now = options.now ?? Date.now;
  return pino({
    level: options.level,
    base: { node: options.node, pid: process.pid },
    redact: { paths: REDACTED, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  }, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
