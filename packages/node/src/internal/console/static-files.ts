/**
 * The console's static files: the pages, scripts and styles in packages/node/console-static and
 * the front-end libraries (htm's Preact build, uPlot) from their installed packages. Loaded once,
 * served from memory with their content type and an ETag, so browsers revalidate cheaply.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PACKAGE_ROOT } from '../package-root.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
}

/** packages/node/console-static, from src/, dist/ or the bundled command line alike. */
export const STATIC_DIR = join(PACKAGE_ROOT, 'console-static');

function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  // htm's exports map names no file for the standalone browser build; it sits beside "htm/preact".
  const htmPreact = dirname(require.resolve('htm/preact'));
  return {
    'vendor/htm-preact-standalone.js': join(htmPreact, 'standalone.module.js'),
    'vendor/uplot.js': require.resolve('uplot/dist/uPlot.esm.js'),
    'vendor/uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export class StaticFiles {
  private constructor(private readonly assets: ReadonlyMap<string, Asset>) {}

  static load(dir: string = STATIC_DIR): StaticFiles {
    const assets = new Map<string, Asset>();
    const add = (name: string, path: string, cacheControl: string): void => {
      const type = CONTENT_TYPES[extname(path)];
      if (type === undefined) return;
      const body = readFileSync(path);
      assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, cacheControl });
    };
    for (const path of walk(dir)) add(relative(dir, path).split(sep).join('/'), path, 'no-cache');
    // Libraries change only with an upgrade of the package; an hour's cache spares revalidations.
    for (const [name, path] of Object.entries(vendorFiles())) add(name, path, 'max-age=3600');
    return new StaticFiles(assets);
  }

  has(name: string): boolean {
    return this.assets.has(name);
  }

  get names(): string[] {
    return [...this.assets.keys()].sort();
  }

  /** Serves `name`; false when there is no such file (the caller answers 404). */
  serve(req: IncomingMessage, res: ServerResponse, name: string, extraHeaders: Record<string, string> = {}): boolean {
    const asset = this.assets.get(name);
    if (asset === undefined) return false;
    const headers = { 'content-type': asset.type, etag: asset.etag, 'cache-control': asset.cacheControl, ...extraHeaders };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}
