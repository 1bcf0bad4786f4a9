/** The CLI's side of the daemon's admin endpoint (loopback HTTP, JSON). */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { TransportError, VennError } from '@venn/errors';
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

export function readAdminToken(config: NodeConfig): string {
  try {
    return readFileSync(config.paths.adminToken, 'utf8').trim();
  } catch (cause) {
    throw new VennError('admin-token-unavailable', `"adminToken" expected a readable token file at ${config.paths.adminToken}, got ${(cause as NodeJS.ErrnoException).code ?? 'an error'}`, { cause });
  }
}

export function adminRequest(config: NodeConfig, method: 'GET' | 'POST', path: string, options: { body?: unknown; token?: string; timeoutMs?: number } = {}): Promise<AdminResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request({
      host: dialHost(config.admin.host),
      port: config.admin.port,
      method,
      path,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
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
