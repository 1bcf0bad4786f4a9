/** Runs the built `venn` CLI (or another built script) as a child process. */
import { spawn } from 'node:child_process';
import { cliPath } from './build.js';
import { unreachableBy } from './unprivileged.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  /** Standard input: text, or bytes (a gzip stream, say). */
  readonly input?: string | Uint8Array;
  /** Run as another user (tests of permissions, when the suite runs as root). */
  readonly uid?: number;
  readonly gid?: number;
}

export function venn(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runScript(cliPath, args, options);
}

/** Runs `script` with this Node and `args`, collecting its output. */
export function runScript(script: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  // As another user, a script it cannot reach fails with MODULE_NOT_FOUND; say why instead.
  const unreachable = unreachableBy(script, options.uid);
  if (unreachable !== undefined) return Promise.reject(new Error(unreachable));
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
    const child = spawn(process.execPath, [script, ...args], {
      env, stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid }), ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A command that exits without reading its input closes the pipe; that is not the test's error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
