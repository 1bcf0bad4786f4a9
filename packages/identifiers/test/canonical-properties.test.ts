// Properties of canonicalization (protocol-spec/identifiers.md): idempotence, collisions of
// equivalent spellings, no collisions between distinct values, and independent oracles.
import { domainToASCII } from 'node:url';
import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { IDENTIFIER_KINDS, InvalidIdentifierError, canonicalize as canonicalizeWithHygiene, digestToHex, hashIdentifier, type CanonicalizeOptions, type IdentifierKind } from '../src/index.js';

// Properties of canonicalization (§4–§7) over random values, some of which fall on the hygiene
// list (§12, tested with its vectors); the list is switched off here.
function canonicalize(kind: IdentifierKind, raw: string, options: CanonicalizeOptions = {}): string {
  return canonicalizeWithHygiene(kind, raw, { ...options, hygiene: false });
}

const TRIM_SET = ['\t', '\n', '\u000b', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
const padding = fc.array(fc.constantFrom(...TRIM_SET), { maxLength: 3 }).map((chars) => chars.join(''));
const pad = (value: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(padding, value, padding).map(([a, v, b]) => `${a}${v}${b}`);

function hex(kind: IdentifierKind, raw: string, region?: string): string {
  return digestToHex(hashIdentifier(kind, raw, region === undefined ? { hygiene: false } : { region, hygiene: false }).digest);
}

/** Randomly upper- or lowercases each character. */
function recase(value: string, flips: boolean[]): string {
  return [...value].map((ch, i) => (flips[i % Math.max(flips.length, 1)] ? ch.toUpperCase() : ch.toLowerCase())).join('');
}
const flips = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });

// Arbitrary text, including the characters the rules care about.
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', 'B', '.', '@', '+', ':', '-', '0', 'f', 'x', '1', ' ', 'é', 'ß', '\u0301', '\u212b', '\t'), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('canonicalization is idempotent', () => {
  test.each(IDENTIFIER_KINDS)('%s: canonicalize(canonicalize(x)) = canonicalize(x) whenever x is accepted', (kind) => {
    fc.assert(
      fc.property(anyText, (raw) => {
        let canonical: string;
        try {
          canonical = canonicalize(kind, raw, { region: 'US' });
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidIdentifierError);
          return;
        }
        expect(canonicalize(kind, canonical, { region: 'US' })).toBe(canonical);
      }),
      { numRuns: 400 },
    );
  });
});

const atext = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789!#$%&\'*-/=?^_`{|}~'.split(''), 'é', 'ü', 'ø', '中');
const atom = fc.string({ unit: atext, minLength: 1, maxLength: 8 });
const localPart = fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('.'));
const ldhLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const domain = fc.tuple(fc.array(ldhLabel, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org', 'example', 'de', 'xn--p1ai')).map(([labels, tld]) => [...labels, tld].join('.'));
const address = fc.tuple(localPart, domain).map(([local, host]) => `${local}@${host}`);

describe('email', () => {
  test('case, white space and Unicode normalization variants collide', () => {
    fc.assert(
      fc.property(address, flips, padding, padding, (email, caseFlips, before, after) => {
        const variant = `${before}${recase(email, caseFlips).normalize('NFD')}${after}`;
        expect(hex('email', variant)).toBe(hex('email', email));
      }),
    );
  });

  test('distinct addresses do not collide', () => {
    fc.assert(
      fc.property(address, address, (a, b) => {
        fc.pre(a.normalize('NFC').toLowerCase() !== b.normalize('NFC').toLowerCase());
        expect(hex('email', a)).not.toBe(hex('email', b));
      }),
    );
  });

  test('email_folded merges dots and +tags at gmail.com and keeps dots elsewhere', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[a-z0-9]{1,6}$/), (parts, tag) => {
        const plain = parts.join('');
        expect(canonicalize('email_folded', `${parts.join('.')}+${tag}@googlemail.com`)).toBe(`${plain}@gmail.com`);
        expect(canonicalize('email_folded', `${parts.join('.')}+${tag}@example.com`)).toBe(`${parts.join('.')}@example.com`);
      }),
    );
  });

  test('the ASCII shortcut agrees with UTS #46 (node:url domainToASCII) on ASCII domains', () => {
    const asciiDomain = fc.array(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.'));
    fc.assert(
      fc.property(asciiDomain, (host) => {
        const viaIdna = domainToASCII(host);
        let ours: string | undefined;
        try {
          ours = canonicalize('email', `a@${host}`).slice(2);
        } catch {
          ours = undefined;
        }
        // Where we accept, UTS #46 must give the same host; our LDH rules may reject more.
        if (ours !== undefined) expect(ours).toBe(viaIdna);
      }),
    );
  });
});

describe('phone', () => {
  // Subscriber numbers 555-0100..0199 are reserved for fiction but valid in the numbering plan.
  const usNumber = fc.tuple(fc.constantFrom('201', '212', '305', '312', '415', '617', '702', '713', '917'), fc.integer({ min: 100, max: 199 })).map(([area, line]) => ({ area, line: String(line).padStart(4, '0') }));

  test('notation variants with region US collide', () => {
    fc.assert(
      fc.property(usNumber, fc.integer({ min: 0, max: 5 }), padding, ({ area, line }, style, space) => {
        const e164 = `+1${area}555${line}`;
        const spellings = [`(${area}) 555-${line}`, `${area}.555.${line}`, `1-${area}-555-${line}`, `+1 ${area} 555 ${line}`, `${area}555${line}`, `+1 (${area}) 555-${line}`];
        const variant = `${space}${spellings[style] ?? e164}${space}`;
        expect(canonicalize('phone', variant, { region: 'US' })).toBe(e164);
        expect(hex('phone', variant, 'US')).toBe(hex('phone', e164));
      }),
    );
  });

  test('distinct numbers do not collide', () => {
    fc.assert(
      fc.property(usNumber, usNumber, (a, b) => {
        fc.pre(a.area !== b.area || a.line !== b.line);
        expect(hex('phone', `+1${a.area}555${a.line}`)).not.toBe(hex('phone', `+1${b.area}555${b.line}`));
      }),
    );
  });
});

describe('device_id', () => {
  const uuidBytes = fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((bytes) => bytes.some((b) => b !== 0) && bytes.some((b) => b !== 0xff));
  const toUuid = (bytes: Uint8Array): string => {
    const h = Buffer.from(bytes).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  test('UUID spellings collide on the lowercase 8-4-4-4-12 form', () => {
    fc.assert(
      fc.property(uuidBytes, flips, fc.integer({ min: 0, max: 3 }), padding, (bytes, caseFlips, style, space) => {
        const uuid = toUuid(bytes);
        const cased = recase(uuid, caseFlips);
        const spellings = [cased, `{${cased}}`, `urn:uuid:${cased}`, cased.replaceAll('-', '')];
        expect(canonicalize('device_id', `${space}${spellings[style] ?? cased}`)).toBe(uuid);
      }),
    );
  });

  test('distinct UUIDs do not collide', () => {
    fc.assert(
      fc.property(uuidBytes, uuidBytes, (a, b) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        expect(hex('device_id', toUuid(a))).not.toBe(hex('device_id', toUuid(b)));
      }),
    );
  });
});

describe('ip', () => {
  // Hosts only: not 0.0.0.0 and not 127.0.0.0/8.
  const v4 = fc.integer({ min: 1, max: 0xffffffff }).filter((n) => Math.floor(n / 0x1000000) !== 127);
  const dotted = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const hexGroup = (g: number, zeros: boolean): string => (zeros ? g.toString(16).padStart(4, '0') : g.toString(16));
  // Zero-heavy groups so that "::" compression is exercised.
  const groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).filter((g) => !(g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) && !(g.slice(0, 7).every((x) => x === 0) && (g[7] ?? 0) <= 1));

  /** A non-canonical but valid RFC 4291 spelling: optional leading zeros, case, any zero run as "::". */
  function spell(g: number[], zeros: boolean, upper: boolean, runPick: number): string {
    const parts = g.map((x) => hexGroup(x, zeros));
    const runs: [number, number][] = [];
    for (let i = 0; i < 8; i++) {
      if (g[i] !== 0) continue;
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      runs.push([i, j]);
      i = j;
    }
    let text = parts.join(':');
    const run = runs.length > 0 ? runs[runPick % (runs.length + 1)] : undefined;
    if (run !== undefined) text = `${parts.slice(0, run[0]).join(':')}::${parts.slice(run[1]).join(':')}`;
    return upper ? text.toUpperCase() : text;
  }

  test('IPv6 spellings collide, and the canonical form is the WHATWG URL serialization (RFC 5952 §4)', () => {
    fc.assert(
      fc.property(groups, fc.boolean(), fc.boolean(), fc.nat(), (g, zeros, upper, runPick) => {
        const canonical = canonicalize('ip', spell(g, zeros, upper, runPick));
        const oracle = new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1);
        expect(canonical).toBe(oracle);
      }),
    );
  });

  test('IPv4 and its IPv4-mapped IPv6 spellings collide', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 2 }), (n, style) => {
        const hi = (n >>> 16).toString(16);
        const lo = (n & 0xffff).toString(16);
        const spellings = [dotted(n), `::ffff:${dotted(n)}`, `0:0:0:0:0:FFFF:${hi}:${lo}`];
        expect(canonicalize('ip', spellings[style] ?? dotted(n))).toBe(dotted(n));
        expect(canonicalize('ip_v4_24', spellings[style] ?? dotted(n))).toBe(`${dotted(n - (n % 256))}/24`);
      }),
    );
  });

  test('distinct addresses do not collide', () => {
    fc.assert(
      fc.property(v4, v4, (a, b) => {
        fc.pre(a !== b);
        expect(hex('ip', dotted(a))).not.toBe(hex('ip', dotted(b)));
      }),
    );
  });

  test('ip_v6_64 keeps exactly the first 64 bits', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const network = [...g.slice(0, 4), 0, 0, 0, 0];
        const expected = `${new URL(`http://[${network.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1)}/64`;
        expect(canonicalize('ip_v6_64', g.map((x) => x.toString(16)).join(':'))).toBe(expected);
      }),
    );
  });
});

describe('wallet', () => {
  /** EIP-55, written out here independently of the package. */
  function checksummed(lowerHex: string): string {
    const hash = Buffer.from(keccak_256(new TextEncoder().encode(lowerHex))).toString('hex');
    return [...lowerHex].map((ch, i) => (Number.parseInt(hash[i] ?? '0', 16) >= 8 ? ch.toUpperCase() : ch)).join('');
  }
  const addressHex = fc.uint8Array({ minLength: 20, maxLength: 20 }).filter((b) => b.some((x) => x !== 0)).map((b) => Buffer.from(b).toString('hex'));

  test('lowercase, uppercase, EIP-55 and unprefixed spellings collide', () => {
    fc.assert(
      fc.property(addressHex, fc.integer({ min: 0, max: 3 }), (lower, style) => {
        const spellings = [`0x${lower}`, `0x${lower.toUpperCase()}`, `0x${checksummed(lower)}`, checksummed(lower)];
        expect(canonicalize('wallet', spellings[style] ?? lower)).toBe(`0x${lower}`);
      }),
    );
  });

  test('flipping the case of one letter of a checksummed address is rejected', () => {
    fc.assert(
      fc.property(addressHex, fc.nat(), (lower, pick) => {
        const good = checksummed(lower);
        const letters = [...good].flatMap((ch, i) => (/[a-fA-F]/.test(ch) ? [i] : []));
        fc.pre(letters.length >= 2);
        const i = letters[pick % letters.length] ?? 0;
        const ch = good[i] ?? '';
        const bad = `${good.slice(0, i)}${ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()}${good.slice(i + 1)}`;
        // Mixed case is still present unless the flip made the address single-case.
        fc.pre(bad !== bad.toLowerCase() && bad !== bad.toUpperCase());
        expect(() => canonicalize('wallet', `0x${bad}`)).toThrowError(expect.objectContaining({ reason: 'wallet-checksum' }) as Error);
      }),
    );
  });
});

describe('opaque kinds', () => {
  const printable = fc.stringMatching(/^[\x21-\x7e]{1,40}$/).filter((s) => !/^[0-]+$/.test(s) && !['null', 'nil', 'none', 'undefined', 'unknown', 'n/a'].includes(s.toLowerCase()));

  test('payment_fingerprint: surrounding white space is ignored and case is kept', () => {
    fc.assert(
      fc.property(pad(printable), (raw) => {
        const canonical = canonicalize('payment_fingerprint', raw);
        expect(raw.includes(canonical)).toBe(true);
        expect(canonical).toBe(raw.replace(/^[\s\ufeff]+|[\s\ufeff]+$/g, ''));
      }),
    );
  });

  test('account: NFC and NFD spellings collide, case does not', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', 'é', 'Å', 'ñ', 'ö', ':', '@', '中'), minLength: 1, maxLength: 12 }), (handle) => {
        fc.pre(!['null', 'nil', 'none', 'undefined', 'unknown', 'n/a'].includes(handle.toLowerCase()));
        expect(hex('account', handle.normalize('NFD'))).toBe(hex('account', handle.normalize('NFC')));
        // Without a platform prefix (§7.6) case is significant.
        if (handle.toUpperCase() !== handle && !handle.includes(':')) expect(hex('account', handle.toUpperCase())).not.toBe(hex('account', handle));
      }),
    );
  });
});
