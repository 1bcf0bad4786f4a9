#!/usr/bin/env node
// The container's HEALTHCHECK: GET /healthz on the admin address of the node in $VENN_DIR
// (venn.config.json "admin", default 127.0.0.1:7100). Exit 0 when it answers 200, 1 otherwise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.VENN_DIR ?? '/var/lib/venn/node';
let admin = '127.0.0.1:7100';
try {
  admin = JSON.parse(readFileSync(join(dir, 'venn.config.json'), 'utf8')).admin ?? admin;
} catch (error) {
  console.error(`healthcheck: cannot read ${join(dir, 'venn.config.json')}: ${error.message}`);
  process.exit(1);
}
const colon = admin.lastIndexOf(':');
let host = admin.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
if (host === '::') host = '::1';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${admin.slice(colon + 1)}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (response.status !== 200) {
    console.error(`healthcheck: ${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`healthcheck: ${url}: ${error.message}`);
  process.exit(1);
}
