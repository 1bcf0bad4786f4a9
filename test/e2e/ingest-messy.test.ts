/**
 * A messy export (BOM, CRLF, quoted fields with commas, doubled quotes and line breaks, every
 * spelling of the same values) ingested by one lab still matches the other lab's clean export.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Federation, byAccount, ensureCli, matchesOf, venn, vennJson } from './helpers.js';

const CRLF = '\r\n';
const BOM = '\ufeff';

/** lab-b's exports: each value spelled differently from lab-a's canonical export of it. */
const messy = {
  email: [
    'account,Email Address,category,reason',
    'b-1,"  Alice.Smith@Example.COM ",fraud,"payment fraud, ""ring"" member"',
    'b-2,BOB@EXAMPLE.NET,spam,',
    'b-3,carol@bücher.example,,',
    'b-4,"Dave <dave@example.com>",spam,display name left in',
    'b-5,erin@example.org,distillation,"scripted',
    'sampling"',
    'b-6,\tfrank@example.com\u00a0,distillation,',
    'b-7,zed@only-b.example,,',
  ],
  phone: [
    'account,phone',
    'b-11,(415) 555-0242',
    'b-12,+1 415.555.0243',
    'b-13,"+44 (0)20 7946 1018"',
    'b-14,011 44 20 7946 1019',
    'b-15,555-0100 ext. 4',
  ],
  ip: [
    'account,ip',
    'b-21,::FFFF:198.18.0.7',
    'b-22,2001:0DB8:0000:0000:0000:0000:0000:0042',
    'b-23," 198.18.0.9 "',
    'b-24,198.18.0.256',
  ],
  device_id: [
    'account,device',
    'b-31,{8F0C6E1A-3B5D-4C7E-9A1B-2C3D4E5F6A7B}',
    'b-32,urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    'b-33,3F2B9C0D17A4E685',
    'b-34,00000000-0000-0000-0000-000000000000',
    'b-35,"1B4E28BA2FA141D2883F0016D3CCA427"',
    // The ANDROID_ID many Android 2.2 devices report: both labs hold it for unrelated accounts.
    'b-36,9774D56D682E549C',
  ],
};

/** lab-a's export of the same values in canonical form, plus values only lab-a holds. */
const clean = {
  email: ['account,email,category,reason', 'a-1,alice.smith@example.com,distillation,api key rotation', 'a-2,bob@example.net,,', 'a-3,carol@xn--bcher-kva.example,,', 'a-5,erin@example.org,,', 'a-6,frank@example.com,,', 'a-9,only-a@example.com,,'],
  phone: ['account,phone', 'a-11,+14155550242', 'a-12,+14155550243', 'a-13,+442079461018', 'a-14,+442079461019', 'a-19,+14155550299'],
  ip: ['account,ip', 'a-21,198.18.0.7', 'a-22,2001:db8::42', 'a-23,198.18.0.9', 'a-29,198.18.9.9'],
  device_id: ['account,device', 'a-31,8f0c6e1a-3b5d-4c7e-9a1b-2c3d4e5f6a7b', 'a-32,1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'a-33,3f2b9c0d17a4e685', 'a-36,9774d56d682e549c'],
};

const columns: Record<keyof typeof messy, { b: string; a: string }> = {
  email: { b: 'Email Address', a: 'email' }, phone: { b: 'phone', a: 'phone' }, ip: { b: 'ip', a: 'ip' }, device_id: { b: 'device', a: 'device' },
};

let federation: Federation;
const files: Record<string, string> = {};

beforeAll(async () => {
  ensureCli();
  federation = await Federation.create({ ids: ['lab-a', 'lab-b'], initArgs: { 'lab-a': ['--share-labels', 'category,reason'], 'lab-b': ['--share-labels', 'category,reason'] } });
  for (const kind of Object.keys(messy) as Array<keyof typeof messy>) {
    files[`b-${kind}`] = join(federation.root, `lab-b-${kind}.csv`);
    writeFileSync(files[`b-${kind}`]!, BOM + messy[kind].join(CRLF) + CRLF);
    files[`a-${kind}`] = join(federation.root, `lab-a-${kind}.csv`);
    writeFileSync(files[`a-${kind}`]!, `${clean[kind].join('\n')}\n`);
  }
}, 60_000);
afterAll(() => federation.close());

function ingestArgs(lab: 'a' | 'b', kind: keyof typeof messy): string[] {
  const labels = kind === 'email' ? ['--category-column', 'category', '--reason-column', 'reason'] : [];
  return ['ingest', '--dir', federation.node(`lab-${lab}`).dir, '--kind', kind, '--column', columns[kind][lab], '--account-column', 'account', ...labels, ...(kind === 'phone' ? ['--region', 'US'] : []), '--json', files[`${lab}-${kind}`]!];
}

describe('ingest of a messy CSV export', () => {
  it('accepts every spelling, rejects the junk rows with their line and reason, and counts them', async () => {
    // device b-35 is b-32's UUID without hyphens under another account: a row of its own, one digest.
    const expected = { email: [7, 6, 1], phone: [5, 4, 1], ip: [4, 3, 1], device_id: [6, 4, 2] } as const;
    const rejectedByA = { email: 0, phone: 0, ip: 0, device_id: 1 } as const;
    for (const kind of Object.keys(messy) as Array<keyof typeof messy>) {
      const counts = await vennJson<{ rows: number; accepted: number; duplicates: number; rejected: number; rejectsPath: string }>(ingestArgs('b', kind));
      const [rows, accepted, rejected] = expected[kind];
      expect({ kind, rows: counts.rows, accepted: counts.accepted, rejected: counts.rejected, duplicates: counts.duplicates }).toEqual({ kind, rows, accepted, rejected, duplicates: 0 });
      expect((await vennJson<{ rejected: number }>(ingestArgs('a', kind))).rejected).toBe(rejectedByA[kind]);
    }
    // Rejects name the physical line a row starts on: b-5's quoted reason spans lines 6 and 7 and
    // holds a line break, which a label may not (identifiers.md §8): the label is dropped, the row kept.
    const rejects = [...readFileSync(`${files['b-email']}.rejects.csv`, 'utf8').matchAll(/^(\d+,(?:invalid|label)-[a-z-]+,[a-z-]+),/gm)].map((m) => m[1]);
    expect(rejects).toEqual(['5,invalid-email,email-local-part', '6,label-dropped,label-reason']);
    expect(readFileSync(`${files['b-phone']}.rejects.csv`, 'utf8')).toMatch(/\n6,invalid-phone,phone-extension,/);
    expect(readFileSync(`${files['b-ip']}.rejects.csv`, 'utf8')).toMatch(/\n5,invalid-ip,ip-syntax,/);
    expect(readFileSync(`${files['b-device_id']}.rejects.csv`, 'utf8')).toMatch(/\n5,invalid-device-id,identifier-placeholder,/);
    // A shared device ID is rejected on both sides (identifiers.md §12.2), so it never becomes a "ring".
    expect(readFileSync(`${files['b-device_id']}.rejects.csv`, 'utf8')).toMatch(/\n7,invalid-device-id,identifier-shared,.*android-id-froyo/);
    expect(readFileSync(`${files['a-device_id']}.rejects.csv`, 'utf8')).toMatch(/\n5,invalid-device-id,identifier-shared,.*android-id-froyo/);
    // Only digests and metadata are stored: no spelling of any value is in the store file.
    const dir = federation.node('lab-b').dir;
    const store = Buffer.concat(['venn.db', 'venn.db-wal'].filter((name) => existsSync(join(dir, name))).map((name) => readFileSync(join(dir, name))));
    expect(store.includes(Buffer.from('b-31'))).toBe(true);
    for (const value of ['Alice.Smith', 'alice.smith@example.com', '415) 555-0242', '+14155550242', '198.18.0.7', '8f0c6e1a']) expect(store.includes(Buffer.from(value))).toBe(false);
  });

  it('the same values spelled differently hash to the same digest', async () => {
    const hash = async (kind: string, values: string[], region?: string): Promise<Set<string>> => {
      const result = await venn(['id', 'hash', '--kind', kind, ...(region === undefined ? [] : ['--region', region]), ...values]);
      expect(result.code).toBe(0);
      return new Set(result.stdout.trim().split('\n').map((line) => line.split('\t')[2] ?? ''));
    };
    expect((await hash('email', ['  Alice.Smith@Example.COM ', 'alice.smith@example.com'])).size).toBe(1);
    expect((await hash('phone', ['(415) 555-0242', '+14155550242', '+1 415-555-0242'], 'US')).size).toBe(1);
    expect((await hash('ip', ['::FFFF:198.18.0.7', '198.18.0.7'])).size).toBe(1);
  });

  it('a round between the labs matches every accepted messy row to its clean counterpart, labels intact', async () => {
    await federation.startAll(Date.parse('2030-03-01T12:00:00Z'));
    const round = await venn(['round', '--dir', federation.node('lab-b').dir, '--peer', 'lab-a', '--json']);
    expect(round.stderr).toBe('');
    expect(round.code).toBe(0);
    expect(JSON.parse(round.stdout)).toMatchObject({ status: 'completed', localSetSize: 16, peerSetSize: 18, intersectionSize: 15 });
    const b = byAccount(await matchesOf(federation.node('lab-b').dir));
    expect([...b.keys()].sort()).toEqual(['device_id:b-31', 'device_id:b-32', 'device_id:b-33', 'device_id:b-35', 'email:b-1', 'email:b-2', 'email:b-3', 'email:b-5', 'email:b-6', 'ip:b-21', 'ip:b-22', 'ip:b-23', 'phone:b-11', 'phone:b-12', 'phone:b-13', 'phone:b-14'].sort());
    const rowsA = await matchesOf(federation.node('lab-a').dir);
    expect([...byAccount(rowsA).keys()].sort()).toEqual(['device_id:a-31', 'device_id:a-32', 'device_id:a-33', 'email:a-1', 'email:a-2', 'email:a-3', 'email:a-5', 'email:a-6', 'ip:a-21', 'ip:a-22', 'ip:a-23', 'phone:a-11', 'phone:a-12', 'phone:a-13', 'phone:a-14'].sort());
    // The quoted label with a comma and doubled quotes crossed the round unchanged.
    expect(rowsA.find((row) => row.accountRef === 'a-1')?.peerLabels['lab-b']).toEqual({ category: 'fraud', reason: 'payment fraud, "ring" member' });
  }, 90_000);
});
