/**
 * The daemon's last word: an error nothing caught is logged as one JSON line, with its stack as a
 * field, and the process exits with the internal-error code instead of printing a raw trace.
 */
import type { Logger } from './logger.js';

/** node.md §9: a bug, not the input or the machine. */
export const INTERNAL_EXIT_CODE = 70;

export function installCrashHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const fatal = (kind: string) => (error: unknown): void => {
    try {
      logger.fatal({ err: error, kind }, 'uncaught error; the daemon exits');
    } finally {
      // The node lock is the kernel's to release; the store's last commit is already on disk.
      exit(INTERNAL_EXIT_CODE);
    }
  };
  const onException = fatal('uncaughtException');
  const onRejection = fatal('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
