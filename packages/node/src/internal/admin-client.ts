/** The CLI's side of the daemon's admin endpoint (loopback HTTP, JSON, the admin token on every request). */
import { request } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { TransportError, ValidationError, VennError } from '@venn/errors';
import type { NodeConfig } from './config.js';

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The host to dial for an admin address that may be a wildcard bind. */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** Shortest token accepted; `venn init` writes 64 hex digits (32 random bytes). */
const MIN_TOKEN_LENGTH = 32;

/**
 * Reads the admin token file (node.md §1, §7). Like the identity key, it must not be readable by
 * group or others: whoever reads it controls the admin endpoint and the analyst console.
 */
export function loadAdminToken(path: string): string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
    text = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new VennError('admin-token-unavailable', `"adminToken" expected a readable token file at ${path}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  }
  if ((mode & 0o077) !== 0) {
    throw new ValidationError('admin-token-permissions', `"adminToken" ${path} expected mode 0600, got ${mode.toString(8).padStart(4, '0')} (run chmod 600 ${path})`);
  }
  if (text.length < MIN_TOKEN_LENGTH) {
    throw new ValidationError('admin-token-invalid', `"adminToken" ${path} expected a token of at least ${MIN_TOKEN_LENGTH} characters, got ${text.length}`);
  }
  return text;
}

export function readAdminToken(config: NodeConfig): string {
  return loadAdminToken(config.paths.adminToken);
}

/** A request to the node's admin endpoint; the node's admin token is sent unless another is given. */
export function adminRequest(config: NodeConfig, method: 'GET' | 'POST', path: string, options: { body?: unknown; token?: string; timeoutMs?: number } = {}): Promise<AdminResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const token = options.token ?? readAdminToken(config);
  return new Promise((resolve, reject) => {
    const req = request({
      host: dialHost(config.admin.host),
      port: config.admin.port,
      method,
      path,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
        authorization: `Bearer ${token}`,
      },
      timeout: options.timeoutMs ?? 5000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          // Not JSON (e.g. /metrics); hand back the text.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new TransportError('admin-timeout', `admin endpoint ${config.admin.host}:${config.admin.port} expected an answer within ${options.timeoutMs ?? 5000} ms, got none`)));
    req.on('error', (cause: NodeJS.ErrnoException) => {
      reject(cause instanceof VennError ? cause : new TransportError('daemon-unreachable', `admin endpoint ${config.admin.host}:${config.admin.port} expected a running daemon (venn start --dir ${config.paths.dir}), got ${cause.code ?? cause.message}`, { cause }));
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
