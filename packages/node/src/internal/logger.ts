/** JSON logs (pino). Every round line carries `roundId`; secrets are never fields of a log line. */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** `json`: one JSON object a line, for journald and log shippers; `pretty`: coloured text for a terminal. */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Field names that would hold secret material; pino replaces their values if one slips in. */
const REDACTED = ['secretKey', 'privateKey', 'seed', 'passphrase', 'scalar', 'token', 'authorization', '*.secretKey', '*.privateKey', '*.seed', '*.passphrase', '*.scalar', '*.token', '*.authorization', 'req.headers.authorization'];

export function createLogger(options: { level: LogLevel; node: string; destination?: DestinationStream; now?: () => number; format?: LogFormat }): Logger {
  const now = options.now ?? Date.now;
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  // pino-pretty as a synchronous stream in this thread: the same lines, only formatted, and
  // nothing is lost on exit.
  const stream = options.format === 'pretty'
    ? pretty({ destination, sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname' })
    : destination;
  return pino({
    level: options.level,
    base: { node: options.node, pid: process.pid },
    redact: { paths: REDACTED, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  }, stream);
}
