#!/usr/bin/env node
/**
 * Writes protocol-spec/vectors/identifiers.json from the hand-written cases below and from
 * seeded draws around every IP range of the hygiene list (seed SEED, SHA-256 in counter mode).
 *
 * The expected canonical forms, rejection reasons and hygiene rules are written by hand from
 * protocol-spec/identifiers.md, and the range membership of the seeded draws is computed here
 * from the spec's own table; digests are computed with node:crypto. Nothing is taken from
 * @venn/identifiers, so the vectors check the package rather than restate it.
 * Run: node packages/identifiers/scripts/generate-vectors.mjs [--out DIR]
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TAG = 'venn/identifier/v2';
const SEED = 'venn identifiers vectors v2';
const HYGIENE_VERSION = 1;
const here = dirname(fileURLToPath(import.meta.url));
const outAt = process.argv.indexOf('--out');
const out = resolve(outAt < 0 ? resolve(here, '../../../protocol-spec/vectors') : resolve(process.argv[outAt + 1]), 'identifiers.json');
const phoneLib = JSON.parse(readFileSync(resolve(here, '../node_modules/libphonenumber-js/package.json'), 'utf8'));

/** §10: SHA-256(tag || 0x00 || kind || 0x00 || UTF-8(canonical)). */
function digest(kind, canonical) {
  return createHash('sha256').update(`${TAG}\0${kind}\0`, 'utf8').update(canonical, 'utf8').digest('hex');
}

const long = (n, c = 'a') => c.repeat(n);
/** A hygiene rejection (§12): the reason and the rule that gives it. */
const H = (reason, rule) => `${reason}|${rule}`;
const PH = (rule) => H('identifier-placeholder', rule);
const SH = (rule) => H('identifier-shared', rule);
const NU = (rule) => H('ip-nonunique', rule);
const label63 = long(63, 'b');

/**
 * Per kind: `equivalent` groups (every input MUST give `canonical`; `hygiene` names the §12 rule
 * that then rejects the canonical form), `distinct` near-miss pairs (both valid, digests MUST
 * differ), `invalid` inputs with their §9 reason (H(reason, rule) for a hygiene rejection).
 * An input is a string, or [string, region] for phone.
 */
const cases = {
  email: {
    equivalent: [
      { canonical: 'alice@example.com', inputs: [' Alice@Example.COM ', 'alice@example.com', 'ALICE@EXAMPLE.COM', '\u3000alice@example.com\t\r\n', 'alice@ｅｘａｍｐｌｅ。ｃｏｍ'] },
      { canonical: 'alice.smith+promo@example.com', inputs: ['Alice.Smith+Promo@Example.com'] },
      { canonical: 'user@xn--bcher-kva.example', inputs: ['user@Bücher.example', 'USER@BÜCHER.EXAMPLE', 'user@xn--bcher-kva.example', 'user@Bu\u0308cher.example'] },
      { canonical: 'ünicode@example.com', inputs: ['U\u0308nicode@example.com', 'Ünicode@example.com'] },
      { canonical: '用户@xn--fsqu00a.xn--4rr70v', inputs: ['用户@例子.广告'] },
      { canonical: 'faß@xn--fa-hia.de', inputs: ['faß@faß.de', 'FAẞ@FAß.DE'] },
      { canonical: "o'brien@example.ie", inputs: ["O'Brien@example.ie"] },
      { canonical: 'first_last-1@sub.domain.example.org', inputs: ['First_Last-1@Sub.Domain.Example.ORG'] },
      { canonical: 'x@a.co', inputs: ['x@a.co'] },
      { canonical: "!#$%&'*+-/=?^_`{|}~@example.com", inputs: ["!#$%&'*+-/=?^_`{|}~@example.com"] },
      { canonical: `${long(64)}@example.com`, inputs: [`${long(64, 'A')}@example.com`] },
      { canonical: 'bob@example.com', inputs: ['bob@exa\u200bmple.com', 'bob@example\u00ad.com', 'Bob@Example.com'], note: 'IDNA removes zero-width space and soft hyphen in the domain' },
    ],
    distinct: [
      { note: 'different top-level domain', pair: [['alice@example.com', 'alice@example.com'], ['alice@example.co', 'alice@example.co']] },
      { note: 'email does not fold dots', pair: [['alice.smith@gmail.com', 'alice.smith@gmail.com'], ['alicesmith@gmail.com', 'alicesmith@gmail.com']] },
      { note: 'email does not fold +tags', pair: [['alice+tag@example.com', 'alice+tag@example.com'], ['alice@example.com', 'alice@example.com']] },
      { note: 'email does not fold googlemail.com', pair: [['alice@googlemail.com', 'alice@googlemail.com'], ['alice@gmail.com', 'alice@gmail.com']] },
      { note: 'non-transitional IDNA keeps ß', pair: [['faß@faß.de', 'faß@xn--fa-hia.de'], ['fass@fass.de', 'fass@fass.de']] },
      { note: 'diacritics are significant', pair: [['ünicode@example.com', 'ünicode@example.com'], ['unicode@example.com', 'unicode@example.com']] },
    ],
    invalid: [
      ['', 'empty'],
      [' \t ', 'empty'],
      ['alice', 'email-at-sign'],
      ['alice@@example.com', 'email-at-sign'],
      ['a@b@example.com', 'email-at-sign'],
      ['alice＠example.com', 'email-at-sign', 'full-width @ is not @ (no NFKC)'],
      ['Alice <alice@example.com>', 'email-local-part', 'display names are not accepted'],
      ['"alice smith"@example.com', 'email-local-part', 'quoted local parts are not accepted'],
      ['mailto:alice@example.com', 'email-local-part'],
      ['.alice@example.com', 'email-local-part'],
      ['alice.@example.com', 'email-local-part'],
      ['alice..smith@example.com', 'email-local-part'],
      ['@example.com', 'email-local-part'],
      ['alice\u00a0smith@example.com', 'email-local-part', 'no-break space inside the local part'],
      ['ali\u200bce@example.com', 'email-local-part', 'zero-width space (a format character) in the local part'],
      ['alice\u00ad@example.com', 'email-local-part', 'soft hyphen in the local part'],
      ['\u202ealice@example.com', 'email-local-part', 'right-to-left override in the local part'],
      ['ali\u2060ce@example.com', 'email-local-part', 'word joiner in the local part'],
      ['ali\u{e0041}ce@example.com', 'email-local-part', 'tag character in the local part'],
      [`${long(65)}@example.com`, 'email-local-part', '65-octet local part'],
      ['alice@', 'email-domain'],
      ['alice@localhost', 'email-domain', 'one label'],
      ['alice@[192.0.2.1]', 'email-domain', 'domain literal'],
      ['alice@192.0.2.1', 'email-domain', 'numeric top-level label'],
      ['alice@-example.com', 'email-domain'],
      ['alice@exa_mple.com', 'email-domain'],
      ['alice@example..com', 'email-domain'],
      ['alice@example.com.', 'email-domain', 'empty last label'],
      ['alice@ex%41mple.com', 'email-domain', 'no percent-decoding'],
      ['alice@xn--a.com', 'email-domain', 'invalid punycode'],
      [`alice@${long(64, 'b')}.com`, 'email-domain', '64-octet label'],
      [`${long(64)}@${label63}.${label63}.${label63}.${long(61, 'c')}`, 'email-too-long', '318 octets'],
      ['alice@example.com\u0000', 'control-character'],
      ['al\ufffdce@example.com', 'replacement-character'],
      ['\ud800lice@example.com', 'malformed-unicode'],
      [`${long(1020)}@a.com`, 'too-long'],
    ],
  },

  email_folded: {
    equivalent: [
      { canonical: 'alicesmith@gmail.com', inputs: ['Alice.Smith+promo@googlemail.com', 'alicesmith@gmail.com', 'A.L.I.C.E.S.M.I.T.H@GMAIL.COM', 'alice.smith@gmail.com', ' alicesmith+a+b@GoogleMail.com '] },
      { canonical: 'alice.smith@example.com', inputs: ['alice.smith+promo@example.com', 'Alice.Smith@Example.com'] },
      { canonical: 'bob@example.com', inputs: ['bob+@example.com', 'bob+a+b@example.com'] },
      { canonical: '+bob@example.com', inputs: ['+bob@example.com', '+bob+x@example.com'] },
      { canonical: 'a@example.com', inputs: ['a.+x@example.com', 'a@example.com'] },
      { canonical: 'jdoe@gmail.com', inputs: ['j.doe@gmail.com', 'J.Doe+Newsletter@gmail.com'] },
      { canonical: 'ünicode@xn--bcher-kva.example', inputs: ['Ünicode+x@Bücher.example'] },
    ],
    distinct: [
      { note: 'dots are significant outside Gmail', pair: [['alice.smith@example.com', 'alice.smith@example.com'], ['alicesmith@example.com', 'alicesmith@example.com']] },
      { note: 'other domains are not merged', pair: [['alice@gmail.com', 'alice@gmail.com'], ['alice@gmail.co', 'alice@gmail.co']] },
      { note: 'a leading + is not a subaddress', pair: [['+bob@example.com', '+bob@example.com'], ['bob@example.com', 'bob@example.com']] },
    ],
    invalid: [
      ['alice', 'email-at-sign'],
      ['alice@localhost', 'email-domain'],
      ['.a+b@gmail.com', 'email-local-part'],
      ['a..b+c@gmail.com', 'email-local-part'],
      ['', 'empty'],
    ],
  },

  phone: {
    equivalent: [
      { canonical: '+14155550100', hygiene: PH('nanp-fiction'), inputs: ['+1 (415) 555-0100', ['+1 (415) 555-0100', 'US'], '+14155550100', ['(415) 555-0100', 'US'], ['415.555.0100', 'us'], ['1-415-555-0100', 'US'], ['１４１５５５５０１００', 'US'], ['+14155550100', 'GB'], '\uff0b1 415 555 0100', ['\uff0b1 415 555 0100', 'DE']] },
      { canonical: '+442079460958', hygiene: PH('ofcom-drama'), inputs: ['+44 20 7946 0958', ['020 7946 0958', 'GB'], '+44 (0) 20 7946 0958', ['011 44 20 7946 0958', 'US'], ['00 44 20 7946 0958', 'FR'], '\uff0b44 20 7946 0958', ['\uff0b44 20 7946 0958', 'DE'], ['\uff0b44 20 7946 0958', 'GB']] },
      { canonical: '+33123456789', hygiene: PH('sequential-digits'), inputs: ['+33 1 23 45 67 89', ['01 23 45 67 89', 'FR']] },
      { canonical: '+14155550200', inputs: ['+1 415 555 0200', ['415-555-0200', 'US']], note: 'just outside NANP 555-0100..0199' },
      { canonical: '+4930901820', inputs: ['\uff0b49 30 901820', ['\uff0b49 30 901820', 'US'], ['030 901820', 'DE']] },
      { canonical: '+4930123456', inputs: ['+49 30 123456', ['030 123456', 'DE']] },
      { canonical: '+8613800138000', inputs: ['+86 138 0013 8000'] },
      { canonical: '+78005553535', inputs: ['+7 800 555 35 35'] },
      { canonical: '+61293744000', inputs: ['+61 2 9374 4000', ['(02) 9374 4000', 'AU']] },
    ],
    distinct: [
      { note: 'last digit', pair: [['+14155550100', '+14155550100'], ['+14155550101', '+14155550101']] },
      { note: 'same national digits, other region', pair: [[['01 23 45 67 89', 'FR'], '+33123456789'], [['030 123456', 'DE'], '+4930123456']] },
      { note: 'a full-width plus is the international prefix, not a character to drop', pair: [[['\uff0b44 20 7946 0958', 'DE'], '+442079460958'], [['44 20 7946 0958', 'DE'], '+49442079460958']] },
    ],
    invalid: [
      ['415-555-0100', 'phone-region-required'],
      ['+1 555 555 5555', 'phone-invalid', 'not in the North American numbering plan'],
      ['+1 415 555 010', 'phone-invalid', 'too short'],
      ['+999 1234', 'phone-invalid', 'no such country calling code'],
      [['0044 20 7946 0958', 'US'], 'phone-invalid', '00 is not the US international prefix'],
      [['Call +1 415 555 0100', 'US'], 'phone-syntax'],
      ['+1-800-FLOWERS', 'phone-syntax'],
      [['abc', 'US'], 'phone-syntax'],
      [['tel:+1-415-555-0100', 'US'], 'phone-syntax', 'a URI, not a number'],
      ['tel:+1-415-555-0100', 'phone-region-required', 'no leading +: the region is checked first'],
      ['+1 415 555 0100 ext. 12', 'phone-extension'],
      ['+1 (415) 555-0100;ext=5', 'phone-extension'],
      ['+1 415 555 0100#', 'phone-syntax', 'a keypad signal, not an empty extension'],
      ['+1 415 555 0100 #12', 'phone-syntax', '"#" is refused wherever it stands'],
      [['*67 415 555 0100', 'US'], 'phone-syntax'],
      ['\uff0b999 1234', 'phone-invalid', 'full-width plus, then no such country calling code'],
      ['\uff0b1 415 555 0100#', 'phone-syntax'],
      ['+1 234 567 8900', PH('sequential-digits')],
      ['+1 415 555 0100', PH('nanp-fiction')],
      ['', 'empty'],
      ['+1 415 555 0100\u0000', 'control-character'],
    ],
  },

  payment_fingerprint: {
    equivalent: [
      { canonical: 'Xt5EWLLDS7FJjR1c', inputs: ['Xt5EWLLDS7FJjR1c', '  Xt5EWLLDS7FJjR1c\t', '\u00a0Xt5EWLLDS7FJjR1c\u3000', '\r\nXt5EWLLDS7FJjR1c\r\n'] },
      { canonical: 'xt5ewllds7fjjr1c', inputs: ['xt5ewllds7fjjr1c'] },
      { canonical: 'fp_1Nq2Zk3LmP4oQ5rS', inputs: ['fp_1Nq2Zk3LmP4oQ5rS'] },
      { canonical: 'card:4f3c9a1b2d8e7f60', inputs: ['card:4f3c9a1b2d8e7f60'] },
      { canonical: 'pm-ABC123_def456', inputs: ['pm-ABC123_def456'] },
      { canonical: "~!#$%&'()*+,-./:;<=>?@[]^_`{|}", inputs: ["~!#$%&'()*+,-./:;<=>?@[]^_`{|}"] },
      { canonical: 'tok_0000000000000001', inputs: ['tok_0000000000000001'] },
      { canonical: 'NULLIFIED', inputs: ['NULLIFIED'] },
      { canonical: 'A', inputs: ['A'] },
    ],
    distinct: [
      { note: 'case is significant', pair: [['Xt5EWLLDS7FJjR1c', 'Xt5EWLLDS7FJjR1c'], ['xt5ewllds7fjjr1c', 'xt5ewllds7fjjr1c']] },
      { note: 'one character', pair: [['tok_0000000000000001', 'tok_0000000000000001'], ['tok_0000000000000002', 'tok_0000000000000002']] },
    ],
    invalid: [
      ['Xt5E WLLDS7FJjR1c', 'opaque-charset', 'inner space'],
      ['Xt5É', 'opaque-charset'],
      ['', 'empty'],
      ['null', PH('placeholder-word')],
      ['NULL', PH('placeholder-word')],
      ['N/A', PH('placeholder-word')],
      ['Unknown', PH('placeholder-word')],
      ['NaN', PH('placeholder-word')],
      ['#N/A', PH('placeholder-word')],
      ['0', PH('placeholder-number')],
      ['0.0', PH('placeholder-number')],
      ['-1', PH('placeholder-number')],
      ['0000-0000', PH('placeholder-filler')],
      ['-', PH('placeholder-filler')],
      ['\u0007abc', 'control-character'],
      [long(1025), 'too-long'],
      ['tok\ufffd', 'replacement-character'],
    ],
  },

  device_id: {
    equivalent: [
      { canonical: '550e8400-e29b-41d4-a716-446655440000', inputs: ['550E8400-E29B-41D4-A716-446655440000', '550e8400-e29b-41d4-a716-446655440000', '{550e8400-e29b-41d4-a716-446655440000}', 'urn:uuid:550e8400-e29b-41d4-a716-446655440000', 'URN:UUID:550E8400-E29B-41D4-A716-446655440000', '550e8400e29b41d4a716446655440000', ' {550E8400-E29B-41D4-A716-446655440000} '] },
      { canonical: '6f9619ff-8b86-d011-b42d-00c04fc964ff', inputs: ['6F9619FF-8B86-D011-B42D-00C04FC964FF'] },
      { canonical: '00000000-0000-0000-0000-000000000001', inputs: ['00000000-0000-0000-0000-000000000001'] },
      { canonical: '9774d56d682e549c', hygiene: SH('android-id-froyo'), inputs: ['9774D56D682E549C', '9774d56d682e549c'] },
      { canonical: '9774d56d682e549d', inputs: ['9774D56D682E549D'] },
      { canonical: 'aa:bb:cc:dd:ee:ff', inputs: ['AA:BB:CC:DD:EE:FF', 'aa-bb-cc-dd-ee-ff', 'AABB.CCDD.EEFF', ' aa:bb:cc:dd:ee:ff '] },
      { canonical: '02:00:00:00:00:00', hygiene: SH('mac-android-hidden'), inputs: ['02:00:00:00:00:00', '02-00-00-00-00-00', '0200.0000.0000'] },
      { canonical: 'ab', inputs: ['AB'] },
      { canonical: 'Device-ABC-123', inputs: ['Device-ABC-123', '\tDevice-ABC-123\n'] },
      { canonical: 'device-abc-123', inputs: ['device-abc-123'] },
      { canonical: 'ios:ABCD', inputs: ['ios:ABCD'] },
      { canonical: '550E8400-E29B-41D4-A716-44665544000', inputs: ['550E8400-E29B-41D4-A716-44665544000'] },
      { canonical: 'télé phone', inputs: ['télé phone'] },
    ],
    distinct: [
      { note: 'last hex digit', pair: [['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'], ['550e8400-e29b-41d4-a716-446655440001', '550e8400-e29b-41d4-a716-446655440001']] },
      { note: 'opaque IDs keep case', pair: [['Device-ABC-123', 'Device-ABC-123'], ['device-abc-123', 'device-abc-123']] },
      { note: '12 hex digits without separators are not a MAC', pair: [['AABBCCDDEEFF', 'aabbccddeeff'], ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff']] },
      { note: 'mixed MAC separators are an opaque ID', pair: [['aa:bb-cc:dd:ee:ff', 'aa:bb-cc:dd:ee:ff'], ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff']] },
      { note: 'a 31-digit value is not a UUID', pair: [['550E8400-E29B-41D4-A716-446655440000', '550e8400-e29b-41d4-a716-446655440000'], ['550E8400-E29B-41D4-A716-44665544000', '550E8400-E29B-41D4-A716-44665544000']] },
    ],
    invalid: [
      ['00000000-0000-0000-0000-000000000000', PH('placeholder-filler'), 'Nil UUID'],
      ['{00000000-0000-0000-0000-000000000000}', PH('placeholder-filler')],
      ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', PH('hex-all-f'), 'Max UUID'],
      ['0000000000000000', PH('placeholder-number'), 'a decimal spelling of zero'],
      ['unknown', PH('placeholder-word')],
      ['undefined', PH('placeholder-word')],
      ['9774D56D682E549C', SH('android-id-froyo')],
      ['02:00:00:00:00:00', SH('mac-android-hidden')],
      ['020000000000', SH('mac-android-hidden')],
      ['00:00:00:00:00:00', PH('placeholder-filler')],
      ['FF-FF-FF-FF-FF-FF', PH('hex-all-f')],
      ['ffffffffffffffff', PH('hex-all-f')],
      ['', 'empty'],
      ['abc\u0000', 'control-character'],
      ['abc\u009f', 'control-character'],
      ['\udfff', 'malformed-unicode'],
    ],
  },

  ip: {
    equivalent: [
      { canonical: '192.0.2.1', inputs: ['192.0.2.1', ' 192.0.2.1 ', '::ffff:192.0.2.1', '::FFFF:C000:0201', '0:0:0:0:0:ffff:192.0.2.1', '0000:0000:0000:0000:0000:FFFF:C000:0201'] },
      { canonical: '2001:db8::1', inputs: ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0::0:1'] },
      { canonical: '2001:db8::1:0:0:1', inputs: ['2001:db8:0:0:1:0:0:1'] },
      { canonical: '2001:db8:0:1:1:1:1:1', inputs: ['2001:db8:0:1:1:1:1:1', '2001:db8::1:1:1:1:1'] },
      { canonical: '2001:0:0:1::1', inputs: ['2001:0:0:1:0:0:0:1'] },
      { canonical: 'fe80::1', hygiene: NU('ipv6-link-local'), inputs: ['FE80::1', 'fe80:0:0:0:0:0:0:1'] },
      { canonical: '64:ff9b::c000:221', inputs: ['64:ff9b::192.0.2.33'] },
      { canonical: '::c000:201', inputs: ['::192.0.2.1'] },
      { canonical: '1::', inputs: ['1::', '1:0:0:0:0:0:0:0'] },
      { canonical: '::2', inputs: ['::2'] },
      { canonical: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', inputs: ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF'] },
      { canonical: '255.255.255.255', hygiene: NU('ipv4-broadcast'), inputs: ['255.255.255.255'] },
      { canonical: '10.0.0.1', hygiene: NU('ipv4-private'), inputs: ['10.0.0.1', '::ffff:10.0.0.1'] },
      { canonical: '0.0.0.1', hygiene: NU('ipv4-this-network'), inputs: ['0.0.0.1'] },
      { canonical: '198.51.100.7', inputs: ['198.51.100.7', '::ffff:c633:6407'] },
      { canonical: '2001::1', inputs: ['2001:0:0:0:0:0:0:1'], note: 'Teredo is listed for ip_v6_64 only' },
    ],
    distinct: [
      { note: 'last octet', pair: [['192.0.2.1', '192.0.2.1'], ['192.0.2.10', '192.0.2.10']] },
      { note: 'trailing group', pair: [['2001:db8::1', '2001:db8::1'], ['2001:db8::1:0', '2001:db8::1:0']] },
      { note: 'only IPv4-mapped addresses fold', pair: [['::ffff:192.0.2.1', '192.0.2.1'], ['64:ff9b::192.0.2.1', '64:ff9b::c000:201']] },
      { note: 'IPv4-compatible addresses do not fold', pair: [['::192.0.2.1', '::c000:201'], ['192.0.2.1', '192.0.2.1']] },
    ],
    invalid: [
      ['192.0.2.256', 'ip-syntax'],
      ['192.0.2', 'ip-syntax'],
      ['192.0.2.1.5', 'ip-syntax'],
      ['010.0.0.1', 'ip-syntax', 'leading zero: octal or decimal?'],
      ['192.0.2.01', 'ip-syntax'],
      ['0x7f.0.0.1', 'ip-syntax'],
      ['127.1', 'ip-syntax'],
      ['fe80::1%eth0', 'ip-syntax', 'zone identifier'],
      ['[2001:db8::1]', 'ip-syntax'],
      ['2001:db8::1::1', 'ip-syntax'],
      ['2001:db8:0:0:0:0:0:0:1', 'ip-syntax', 'nine groups'],
      ['1:2:3:4:5:6:7::8', 'ip-syntax', ':: must stand for at least one group'],
      [':1:2:3:4:5:6:7', 'ip-syntax'],
      ['2001:db8::12345', 'ip-syntax'],
      ['192.0.2.1:80', 'ip-syntax'],
      ['2001:db8::/64', 'ip-syntax'],
      ['::ffff:192.0.2.256', 'ip-syntax'],
      ['١٩٢.٠.٢.١', 'ip-syntax', 'Arabic-Indic digits'],
      ['0.0.0.0', 'ip-unspecified'],
      ['::', 'ip-unspecified'],
      ['::ffff:0.0.0.0', 'ip-unspecified'],
      ['127.0.0.1', 'ip-loopback'],
      ['127.255.0.9', 'ip-loopback'],
      ['::1', 'ip-loopback'],
      ['::ffff:127.0.0.1', 'ip-loopback'],
      ['', 'empty'],
    ],
  },

  ip_v4_24: {
    equivalent: [
      { canonical: '192.0.2.0/24', inputs: ['192.0.2.1', '192.0.2.255', '192.0.2.0/24', '192.0.2.77/24', '::ffff:192.0.2.9', '::ffff:c000:263', ' 192.0.2.0/24 '] },
      { canonical: '198.51.100.0/24', inputs: ['198.51.100.7'] },
      { canonical: '10.1.2.0/24', hygiene: NU('ipv4-private'), inputs: ['10.1.2.3'] },
      { canonical: '203.0.113.0/24', inputs: ['203.0.113.250'] },
      { canonical: '255.255.255.0/24', hygiene: NU('ipv4-broadcast'), inputs: ['255.255.255.255'] },
      { canonical: '192.168.1.0/24', hygiene: NU('ipv4-private'), inputs: ['192.168.1.77'] },
      { canonical: '1.2.3.0/24', inputs: ['1.2.3.4'] },
      // §7.4 step 6: the all-zero network is the canonical form of 0.0.0.1, so it is accepted again.
      { canonical: '0.0.0.0/24', hygiene: NU('ipv4-this-network'), inputs: ['0.0.0.1', '0.0.0.255', '0.0.0.0/24', '0.0.0.9/24', '::ffff:0.0.0.7'] },
    ],
    distinct: [
      { note: 'third octet', pair: [['192.0.2.1', '192.0.2.0/24'], ['192.0.3.1', '192.0.3.0/24']] },
    ],
    invalid: [
      ['2001:db8::1', 'ip-family'],
      ['192.0.2.0/25', 'ip-prefix-length'],
      ['192.0.2.0/16', 'ip-prefix-length'],
      ['192.0.2.0/', 'ip-syntax'],
      ['192.0.2.0/024', 'ip-syntax'],
      ['192.0.2.0/24/24', 'ip-syntax'],
      ['192.0.2', 'ip-syntax'],
      ['127.0.0.1', 'ip-loopback'],
      ['0.0.0.0', 'ip-unspecified'],
      ['::ffff:0.0.0.0', 'ip-unspecified'],
      ['127.0.0.0/24', 'ip-loopback', 'a network written with its prefix length is still checked for loopback'],
      ['2001::/', 'ip-syntax', 'order: the prefix-length syntax is checked before the address family'],
      ['2001::/24', 'ip-family', 'order: the family is checked before the prefix-length value'],
      ['2001::/064', 'ip-syntax'],
      ['::1', 'ip-family', 'order: the family is checked before loopback'],
      ['127.0.0.1/16', 'ip-prefix-length', 'order: the prefix length is checked before loopback'],
      ['192.0.2.1/24/', 'ip-syntax'],
      ['192.0.2.256/16', 'ip-syntax', 'order: the address syntax is checked before the prefix-length value'],
      ['100.64.0.1', NU('ipv4-cgnat')],
      ['', 'empty'],
    ],
  },

  ip_v6_64: {
    equivalent: [
      { canonical: '2001:db8:1:2::/64', inputs: ['2001:db8:1:2:3:4:5:6', '2001:DB8:1:2::', '2001:db8:1:2::/64', '2001:db8:1:2:ffff:ffff:ffff:ffff/64'] },
      { canonical: '2001:db8::/64', inputs: ['2001:db8::1', '2001:db8:0:0:1::'] },
      { canonical: 'fe80::/64', hygiene: NU('ipv6-link-local'), inputs: ['fe80::1'] },
      { canonical: '64:ff9b::/64', hygiene: NU('ipv6-nat64'), inputs: ['64:ff9b::192.0.2.1', '64:ff9b::198.51.100.7'] },
      { canonical: '2001:db8:0:1::/64', inputs: ['2001:db8:0:1::5'] },
      { canonical: '2001:db8:85a3::/64', inputs: ['2001:0db8:85a3:0000:0000:8a2e:0370:7334'] },
      { canonical: '2a00:1450:4001:81c::/64', inputs: ['2a00:1450:4001:81c::200e'] },
      { canonical: '2001:db8:a:b::/64', inputs: ['2001:db8:a:b:c:d:e:f'] },
      // §7.4 step 6: the all-zero network is the canonical form of ::a and ::192.0.2.1, so it is accepted again.
      { canonical: '::/64', hygiene: NU('ipv6-ipv4-embedded'), inputs: ['::a', '::2', '::192.0.2.1', '::/64', '::5/64', '0:0:0:0:ffff::'] },
    ],
    distinct: [
      { note: 'fourth group', pair: [['2001:db8:1:2::1', '2001:db8:1:2::/64'], ['2001:db8:1:3::1', '2001:db8:1:3::/64']] },
    ],
    invalid: [
      ['192.0.2.1', 'ip-family'],
      ['::ffff:192.0.2.1', 'ip-family'],
      ['2001:db8::/48', 'ip-prefix-length'],
      ['2001:db8::/128', 'ip-prefix-length'],
      ['::1', 'ip-loopback'],
      ['::', 'ip-unspecified'],
      ['0:0:0:0:0:0:0:0', 'ip-unspecified'],
      ['::1/64', 'ip-loopback', 'a network written with its prefix length is still checked for loopback'],
      ['2001:db8::1%eth0', 'ip-syntax'],
      ['2001:db8::g', 'ip-syntax'],
      ['127.0.0.1', 'ip-family', 'order: the family is checked before loopback'],
      ['::1/48', 'ip-prefix-length', 'order: the prefix length is checked before loopback'],
      ['2001:db8::1/', 'ip-syntax'],
      ['192.0.2.1/', 'ip-syntax', 'order: the prefix-length syntax is checked before the address family'],
      ['::192.0.2.1', NU('ipv6-ipv4-embedded')],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', NU('ipv6-teredo')],
      ['', 'empty'],
    ],
  },

  wallet: {
    equivalent: [
      { canonical: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', inputs: ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', '0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED', '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', ' 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n', '0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED', '0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'] },
      { canonical: '0x0000000000000000000000000000000000000000', hygiene: PH('evm-zero-address'), inputs: ['0x0000000000000000000000000000000000000000', '0X0000000000000000000000000000000000000000'] },
      { canonical: '0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359', inputs: ['0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359'] },
      { canonical: '0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb', inputs: ['0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB'] },
      { canonical: '0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb', inputs: ['0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb'] },
      { canonical: '0x52908400098527886e0f7030069857d2e4169ee7', inputs: ['0x52908400098527886E0F7030069857D2E4169EE7'] },
      { canonical: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', inputs: ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'] },
      { canonical: 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', inputs: ['tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7'] },
      { canonical: 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', inputs: ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0'] },
      { canonical: 'bc1sw50qgdz25j', inputs: ['BC1SW50QGDZ25J'] },
      { canonical: 'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs', inputs: ['bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs'] },
    ],
    distinct: [
      { note: 'EIP-55 example addresses', pair: [['0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359'], ['0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb']] },
    ],
    invalid: [
      ['0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'wallet-checksum', 'one letter case flipped'],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'wallet-checksum'],
      ['0x0000000000000000000000000000000000000000', PH('evm-zero-address'), 'zero address'],
      ['0x000000000000000000000000000000000000dEaD', SH('evm-burn-address'), 'a burn address'],
      ['0X5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'wallet-checksum', 'the 0X prefix does not exempt the digits from EIP-55'],
      ['0x0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea', 'wallet-syntax'],
      ['0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea', 'wallet-syntax', '38 hex digits'],
      ['0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedd', 'wallet-syntax', '41 hex digits'],
      ['0xg5aeb6053f3e94c9b9a09f33669435e7ef1beaed', 'wallet-syntax'],
      ['tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7', 'wallet-syntax', 'mixed case'],
      ['bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb', 'wallet-syntax', 'b is not in the bech32 alphabet'],
      ['1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'wallet-syntax', 'base58 is not a wallet input in v1'],
      ['', 'empty'],
    ],
  },

  account: {
    equivalent: [
      { canonical: 'github:octocat', inputs: ['github:octocat', '  github:octocat  ', 'GitHub:Octocat', 'GITHUB:OCTOCAT', 'github:@Octocat', 'github: octocat', 'github:\u3000@octocat'] },
      { canonical: 'x:jack', inputs: ['x:jack', 'X:@Jack', 'twitter:jack', 'Twitter:@JACK'] },
      { canonical: 'reddit:spez', inputs: ['reddit:spez', 'reddit:/u/Spez', 'Reddit:u/SPEZ'] },
      { canonical: 'instagram:some.one', inputs: ['instagram:@Some.One'] },
      { canonical: 'twitch:streamer_1', inputs: ['twitch:Streamer_1'] },
      { canonical: 'gitea:Octocat', inputs: ['gitea:Octocat', 'GITEA:Octocat', 'gitea: Octocat'] },
      { canonical: 'github:Ünïcode', inputs: ['GitHub:Ünïcode'], note: 'platform folding changes A-Z only' },
      { canonical: 'café', inputs: ['cafe\u0301', 'caf\u00e9'] },
      { canonical: '\u00c5ngstr\u00f6m', inputs: ['\u212bngstro\u0308m'] },
      { canonical: 'user name with spaces', inputs: ['user name with spaces'] },
      { canonical: 'ユーザー', inputs: ['ユーザー'] },
      { canonical: '@handle', inputs: ['@handle'] },
      { canonical: 'discord:user#1234', inputs: ['discord:user#1234'] },
      { canonical: 'telegram:someone', inputs: ['\u2003telegram:@someone\u2029', 'telegram:SomeOne'] },
      { canonical: 'x', inputs: ['x'] },
    ],
    distinct: [
      { note: 'case is significant on platforms not in the table', pair: [['gitea:Octocat', 'gitea:Octocat'], ['gitea:octocat', 'gitea:octocat']] },
      { note: 'case is significant without a platform prefix', pair: [['Octocat', 'Octocat'], ['octocat', 'octocat']] },
      { note: 'the platform separates equal handles', pair: [['github:octocat', 'github:octocat'], ['gitlab:octocat', 'gitlab:octocat']] },
      { note: 'discord keeps case', pair: [['discord:User#1234', 'discord:User#1234'], ['discord:user#1234', 'discord:user#1234']] },
      { note: 'diacritics are significant', pair: [['café', 'café'], ['cafe', 'cafe']] },
    ],
    invalid: [
      ['null', PH('placeholder-word')],
      ['N/A', PH('placeholder-word')],
      ['0', PH('placeholder-number')],
      ['github:null', PH('placeholder-word')],
      ['github:undefined', PH('placeholder-word')],
      ['github: ', PH('account-empty-handle'), 'becomes "github:" after trimming'],
      ['github:@', PH('account-empty-handle')],
      ['x:-1', PH('placeholder-number')],
      ['gitea:NaN', PH('placeholder-word')],
      ['#N/A', PH('placeholder-word')],
      ['NaN', PH('placeholder-word')],
      ['0.0', PH('placeholder-number')],
      ['-1', PH('placeholder-number')],
      ['', 'empty'],
      ['\t\n', 'empty'],
      ['a\u0085b', 'control-character'],
      [long(1025, 'x'), 'too-long'],
      ['bad\ufffd', 'replacement-character'],
      ['\udc00', 'malformed-unicode'],
    ],
  },
};

const crossKind = [
  { note: 'the kind separates equal canonical strings', canonical: 'alice@example.com', kinds: ['email', 'email_folded', 'account'] },
  { note: 'the kind separates equal canonical strings', canonical: '9774d56d682e549c', kinds: ['device_id', 'payment_fingerprint', 'account'] },
];

function entry(kind, input, canonical, hygiene) {
  const [value, region] = Array.isArray(input) ? input : [input, undefined];
  return { input: value, ...(region === undefined ? {} : { region }), canonical, digest: digest(kind, canonical), ...hygieneField(hygiene) };
}

function hygieneField(hygiene) {
  if (hygiene === undefined) return {};
  const [reason, rule] = hygiene.split('|');
  return { hygiene: { reason, rule } };
}

/** An invalid case: `reason` is a §9 reason, or H(reason, rule) for a hygiene rejection. */
function invalidCase(input, reasonText, note) {
  const [value, region] = Array.isArray(input) ? input : [input, undefined];
  const [reason, rule] = reasonText.split('|');
  return { input: value, ...(region === undefined ? {} : { region }), reason, ...(rule === undefined ? {} : { rule }), ...(note === undefined ? {} : { note }) };
}

const kinds = {};
for (const [kind, { equivalent, distinct, invalid }] of Object.entries(cases)) {
  const valid = equivalent.flatMap(({ canonical, inputs, hygiene }) => inputs.map((input) => entry(kind, input, canonical, hygiene)));
  for (const { pair, note } of distinct) {
    if (pair[0][1] === pair[1][1]) throw new Error(`${kind}: near miss "${note}" has equal canonical forms`);
  }
  kinds[kind] = {
    valid,
    equivalent: equivalent.filter(({ inputs }) => inputs.length > 1).map(({ canonical, inputs, hygiene }) => ({
      inputs: inputs.map((input) => (Array.isArray(input) ? { input: input[0], region: input[1] } : { input })),
      canonical,
      digest: digest(kind, canonical),
      ...hygieneField(hygiene),
    })),
    near_misses: distinct.map(({ note, pair }) => ({ note, values: pair.map(([input, canonical]) => entry(kind, input, canonical)) })),
    invalid: invalid.map(([input, reason, note]) => invalidCase(input, reason, note)),
  };
}

// ---------------------------------------------------------------- §12 hygiene list

/**
 * One vector per entry of the built-in list (§12.1–§12.4): [kind, input, canonical, H(reason, rule)],
 * the input as given to the canonicalization of its kind (phones with a leading "+").
 */
const hygieneCases = [
  ['payment_fingerprint', 'null', 'null', PH('placeholder-word')],
  ['payment_fingerprint', 'NULL', 'NULL', PH('placeholder-word')],
  ['payment_fingerprint', 'NaN', 'NaN', PH('placeholder-word')],
  ['payment_fingerprint', '#N/A', '#N/A', PH('placeholder-word')],
  ['payment_fingerprint', '#DIV/0!', '#DIV/0!', PH('placeholder-word')],
  ['payment_fingerprint', '[REDACTED]', '[REDACTED]', PH('placeholder-word')],
  ['payment_fingerprint', 'Infinity', 'Infinity', PH('placeholder-word')],
  ['payment_fingerprint', '0.0', '0.0', PH('placeholder-number')],
  ['payment_fingerprint', '-0', '-0', PH('placeholder-number')],
  ['payment_fingerprint', '0e0', '0e0', PH('placeholder-number')],
  ['payment_fingerprint', '-1', '-1', PH('placeholder-number')],
  ['payment_fingerprint', '-1.00', '-1.00', PH('placeholder-number')],
  ['payment_fingerprint', '___', '___', PH('placeholder-filler')],
  ['payment_fingerprint', '?', '?', PH('placeholder-filler')],
  ['device_id', 'not set', 'not set', PH('placeholder-word')],
  ['device_id', '0', '0', PH('placeholder-number')],
  ['device_id', '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', PH('placeholder-filler')],
  ['device_id', 'ffffffffffffffff', 'ffffffffffffffff', PH('hex-all-f')],
  ['device_id', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'ffffffff-ffff-ffff-ffff-ffffffffffff', PH('hex-all-f')],
  ['device_id', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff', PH('hex-all-f')],
  ['device_id', '9774d56d682e549c', '9774d56d682e549c', SH('android-id-froyo')],
  ['device_id', '02:00:00:00:00:00', '02:00:00:00:00:00', SH('mac-android-hidden')],
  ['device_id', '020000000000', '020000000000', SH('mac-android-hidden')],
  ['device_id', '00:00:00:00:00:00', '00:00:00:00:00:00', PH('placeholder-filler')],
  ['account', 'github:null', 'github:null', PH('placeholder-word')],
  ['account', 'github:undefined', 'github:undefined', PH('placeholder-word')],
  ['account', 'github:', 'github:', PH('account-empty-handle')],
  ['account', 'gitea:-1', 'gitea:-1', PH('placeholder-number')],
  ['account', 'x:___', 'x:___', PH('placeholder-filler')],
  ['account', 'none', 'none', PH('placeholder-word')],
  ['wallet', '0x0000000000000000000000000000000000000000', '0x0000000000000000000000000000000000000000', PH('evm-zero-address')],
  ['wallet', '0x000000000000000000000000000000000000dead', '0x000000000000000000000000000000000000dead', SH('evm-burn-address')],
  ['phone', '+1 212 555 0100', '+12125550100', PH('nanp-fiction')],
  ['phone', '+1 800 555 0199', '+18005550199', PH('nanp-fiction')],
  ['phone', '+1 234 567 8900', '+12345678900', PH('sequential-digits')],
  ['phone', '+44 1234 567890', '+441234567890', PH('sequential-digits')],
  ['phone', '+33 1 23 45 67 89', '+33123456789', PH('sequential-digits')],
  ['phone', '+1 987 654 3210', undefined, 'phone-invalid', 'descending, but not a valid NANP number'],
];
// Ofcom drama ranges: one vector at each end of every range. Some ranges are not valid numbers
// under the pinned metadata and are rejected as phone-invalid first; the hygiene check of their
// canonical form is still given (checked with canonicalization off).
const OFCOM = ['+441134960', '+441144960', '+441154960', '+441164960', '+441174960', '+441184960', '+441214960', '+441314960', '+441414960', '+441514960', '+441614960', '+442079460', '+442920180', '+442896496', '+441632960', '+447700900', '+448081570', '+449098790', '+443069990'];
// §12.1 placeholder-word: every word of the list, as an account handle and as a whole value,
// in the spellings a spreadsheet or program writes them.
const PLACEHOLDER_WORDS = ['null', 'nil', 'none', 'undefined', 'unknown', 'n/a', 'na', 'nan', 'inf', '-inf', 'infinity', '-infinity',
  'true', 'false', '(null)', '<null>', '[null]', '(none)', '<none>', '{}', '[]', '""', "''",
  '#n/a', '#null!', '#value!', '#ref!', '#div/0!', '#name?', '#num!',
  'redacted', '[redacted]', 'deleted', '[deleted]', 'not available', 'not set', 'unset', 'tbd'];
const wordCases = PLACEHOLDER_WORDS.flatMap((word) => [
  ['account', `github:${word.toUpperCase()}`, `github:${word}`, PH('placeholder-word')],
  ['device_id', `${word.slice(0, 1).toUpperCase()}${word.slice(1)}`, `${word.slice(0, 1).toUpperCase()}${word.slice(1)}`, PH('placeholder-word')],
]);
// The examples of the issue that motivated the list.
const issueCases = [
  ['ip', '10.0.0.1', '10.0.0.1', NU('ipv4-private')],
  ['ip', '169.254.169.254', '169.254.169.254', NU('ipv4-link-local')],
  ['ip', '100.64.0.1', '100.64.0.1', NU('ipv4-cgnat')],
  ['ip', '255.255.255.255', '255.255.255.255', NU('ipv4-broadcast')],
  ['ip', '::ffff:192.168.0.1', '192.168.0.1', NU('ipv4-private')],
  ['ip_v4_24', '192.168.1.77', '192.168.1.0/24', NU('ipv4-private')],
  ['ip_v4_24', '192.0.0.2', '192.0.0.0/24', NU('ipv4-protocol-assignments')],
  ['ip_v6_64', '64:ff9b::192.0.2.33', '64:ff9b::/64', NU('ipv6-nat64')],
  ['ip_v6_64', '64:ff9b:1:2::c000:221', '64:ff9b:1:2::/64', NU('ipv6-nat64')],
  ['ip_v6_64', '::192.0.2.1', '::/64', NU('ipv6-ipv4-embedded')],
  ['ip_v6_64', '::ffff:0:c000:201', '::/64', NU('ipv6-ipv4-embedded'), 'IPv4-translated (RFC 6145)'],
  ['ip_v6_64', 'fe80::1', 'fe80::/64', NU('ipv6-link-local')],
  ['ip_v6_64', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378::/64', NU('ipv6-teredo')],
  ['ip_v6_64', '2002:c000:201::1', '2002:c000:201::/64', NU('ipv6-6to4')],
  ['ip', '64:ff9b::192.0.2.33', '64:ff9b::c000:221', undefined, 'a full NAT64 address still names one IPv4 client'],
];
const OFCOM_INVALID_IN_METADATA = new Set(['+441154960', '+441632960', '+447700900']);
const ofcomCases = OFCOM.flatMap((prefix) => ['000', '999'].map((tail) => ['phone', `${prefix}${tail}`, `${prefix}${tail}`,
  OFCOM_INVALID_IN_METADATA.has(prefix) ? 'phone-invalid' : PH('ofcom-drama'),
  OFCOM_INVALID_IN_METADATA.has(prefix) ? 'not a valid number under the pinned metadata; the list still holds its canonical form' : undefined,
  'ofcom-drama']));

// IP ranges of §12.4, written out again from the spec's table.
const IP_RULES = [
  ['ipv4-this-network', ['0.0.0.0/8'], ['ip', 'ip_v4_24']],
  ['ipv4-private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], ['ip', 'ip_v4_24']],
  ['ipv4-cgnat', ['100.64.0.0/10'], ['ip', 'ip_v4_24']],
  ['ipv4-link-local', ['169.254.0.0/16'], ['ip', 'ip_v4_24']],
  ['ipv4-protocol-assignments', ['192.0.0.0/24'], ['ip', 'ip_v4_24']],
  ['ipv4-multicast', ['224.0.0.0/4'], ['ip', 'ip_v4_24']],
  ['ipv4-broadcast', ['255.255.255.255/32'], ['ip', 'ip_v4_24']],
  ['ipv4-reserved', ['240.0.0.0/4'], ['ip', 'ip_v4_24']],
  ['ipv6-link-local', ['fe80::/10'], ['ip', 'ip_v6_64']],
  ['ipv6-site-local', ['fec0::/10'], ['ip', 'ip_v6_64']],
  ['ipv6-unique-local', ['fc00::/7'], ['ip', 'ip_v6_64']],
  ['ipv6-multicast', ['ff00::/8'], ['ip', 'ip_v6_64']],
  ['ipv6-nat64', ['64:ff9b::/96', '64:ff9b:1::/48'], ['ip_v6_64']],
  ['ipv6-ipv4-embedded', ['::/64'], ['ip_v6_64']],
  ['ipv6-teredo', ['2001::/32'], ['ip_v6_64']],
  ['ipv6-6to4', ['2002::/16'], ['ip_v6_64']],
];

function v4ToBig(text) {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(part), 0n);
}
function v6ToBig(text) {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}
function bigToV4(n) {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}
/** RFC 5952 §4 text, written again here. */
function bigToV6(n) {
  const groups = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  return best === -1 ? hex.join(':') : `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
function parseCidr(text) {
  const [address, length] = text.split('/');
  const v6 = address.includes(':');
  return { v6, bits: v6 ? v6ToBig(address) : v4ToBig(address), length: Number(length), width: v6 ? 128 : 32 };
}
const IP_RANGES = IP_RULES.flatMap(([rule, ranges, kinds]) => ranges.map((r) => ({ rule, kinds, ...parseCidr(r) })));

/** SHA-256 in counter mode over SEED: a reproducible stream of 64-bit draws. */
let counter = 0;
function draw() {
  const bytes = createHash('sha256').update(`${SEED}\0${counter++}`).digest();
  return bytes.readBigUInt64BE(0);
}
function drawBits(width) {
  let n = 0n;
  for (let got = 0; got < width; got += 64) n = (n << 64n) | draw();
  return n & ((1n << BigInt(width)) - 1n);
}

/** The first listed rule (in table order) whose range overlaps the subject, as §12.4 says. */
function ipRuleFor(kind, v6, bits, subjectLength) {
  for (const r of IP_RANGES) {
    if (r.v6 !== v6 || !r.kinds.includes(kind)) continue;
    const shift = BigInt(r.width - Math.min(r.length, subjectLength));
    if (bits >> shift === r.bits >> shift) return r.rule;
  }
  return undefined;
}
const SPECIAL_V4 = (bits) => bits === 0n || bits >> 24n === 127n;
const SPECIAL_V6 = (bits) => bits === 0n || bits === 1n || bits >> 32n === 0xffffn;

function ipVector(kind, v6, bits, note) {
  const width = v6 ? 128 : 32;
  if (kind === 'ip') {
    const input = v6 ? bigToV6(bits) : bigToV4(bits);
    const rule = ipRuleFor(kind, v6, bits, width);
    return { kind, input, canonical: input, ...(rule === undefined ? { digest: digest(kind, input) } : { reason: 'ip-nonunique', rule }), note };
  }
  const netLength = v6 ? 64 : 24;
  const net = (bits >> BigInt(width - netLength)) << BigInt(width - netLength);
  const input = v6 ? bigToV6(bits) : bigToV4(bits);
  const canonical = `${v6 ? bigToV6(net) : bigToV4(net)}/${netLength}`;
  const rule = ipRuleFor(kind, v6, net, netLength);
  return { kind, input, canonical, ...(rule === undefined ? { digest: digest(kind, canonical) } : { reason: 'ip-nonunique', rule }), note };
}

const ipHygiene = [];
for (const r of IP_RANGES) {
  const span = BigInt(r.width - r.length);
  for (const kind of r.kinds) {
    const inside = r.bits | (span === 0n ? 0n : drawBits(Number(span)));
    const candidates = [[r.bits, 'first address of the range'], [r.bits | ((1n << span) - 1n), 'last address of the range'], [inside, 'seeded draw inside the range'],
      [r.bits - 1n, 'just below the range'], [(r.bits | ((1n << span) - 1n)) + 1n, 'just above the range']];
    for (const [bits, note] of candidates) {
      if (bits < 0n || bits >= 1n << BigInt(r.width)) continue;
      if (r.v6 ? SPECIAL_V6(bits) : SPECIAL_V4(bits)) continue;
      // IPv4 kinds take no IPv6, prefix kinds no IPv4-mapped, and ip_v6_64 no IPv4.
      if (kind === 'ip_v6_64' && (bits >> 32n) === 0xffffn) continue;
      ipHygiene.push(ipVector(kind, r.v6, bits, `${r.rule} ${note}`));
    }
  }
}

function hygieneVector([kind, input, canonical, reasonText, note, listed]) {
  const [reason, rule] = reasonText.split('|');
  return { kind, input, ...(canonical === undefined ? {} : { canonical }), reason, ...(rule === undefined ? {} : { rule }), ...(listed === undefined ? {} : { listed }), ...(note === undefined ? {} : { note }) };
}

/** Values next to listed ones that the list does not catch: every lab keeps them. */
const notListed = [
  ['phone', '+1 212 555 0200', '+12125550200', 'NANP 555 outside 0100-0199'],
  ['phone', '+1 212 555 0099', '+12125550099', 'NANP 555 outside 0100-0199'],
  ['phone', '+44 20 7946 1000', '+442079461000', 'next to the Ofcom drama range'],
  ['phone', '+1 234 567 8190', '+12345678190', 'seven consecutive digits'],
  ['payment_fingerprint', 'nullable', 'nullable', 'not a whole placeholder word'],
  ['payment_fingerprint', '1', '1', 'one is not a placeholder'],
  ['payment_fingerprint', '0.01', '0.01', 'not zero'],
  ['payment_fingerprint', '-2', '-2', 'not minus one'],
  ['device_id', '9774d56d682e549d', '9774d56d682e549d', 'one digit from the shared ANDROID_ID'],
  ['device_id', '02:00:00:00:00:01', '02:00:00:00:00:01', 'one bit from the hidden MAC'],
  ['device_id', 'fffffffffffffffe', 'fffffffffffffffe', 'not all f'],
  ['account', 'github:nullish', 'github:nullish', 'not a whole placeholder word'],
  ['account', 'nullish:x', 'nullish:x', 'the platform prefix is not the handle'],
  ['wallet', '0x000000000000000000000000000000000000beef', '0x000000000000000000000000000000000000beef', 'not listed'],
  ['email', 'null@example.com', 'null@example.com', 'email has no built-in entries'],
];

// §12.5: roster additions and a local extension file.
const rosterAdditions = [
  { kind: 'device_id', value: 'abcdef0123456789' },
  { kind: 'ip', value: '203.0.113.0/24' },
  { kind: 'ip', value: '2001:db8:ffff::/48' },
  { kind: 'email', value: 'noreply@example.com' },
  { kind: 'device_id', value: 'abcdef0123456789' },
];
function additionsDigest(entries) {
  const keyed = [...new Map(entries.map((e) => [`${e.kind}\0${e.value}`, e])).values()];
  keyed.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const hash = createHash('sha256').update('venn/hygiene-additions/v1\0');
  for (const e of keyed) hash.update(`${e.kind}\0`).update(e.value).update('\0');
  return hash.digest('hex');
}
const rosterDigest = additionsDigest(rosterAdditions);
const localFile = '# lab-local hygiene entries\nip 198.51.100.0/24\n\naccount  GitHub:SharedBot\ndevice_id\tDEVICE-XYZ\nphone +1 415 555 0199\n';

const rulesString = `${TAG} hygiene/${HYGIENE_VERSION} libphonenumber-js/${phoneLib.version}`;
const rosterRulesString = `${TAG} hygiene/${HYGIENE_VERSION}+roster.${rosterDigest.slice(0, 16)} libphonenumber-js/${phoneLib.version}`;


/**
 * §8: list files. Each input is the file's bytes in hex; `options` names the format, the kind and
 * the columns. `error` is the code that stops the file before any row (errors.md §6.8); `rejects`
 * lists every rejected row in order with its line, code and reason. Written by hand from §8.
 */
const hex = (text) => Buffer.from(text, 'utf8').toString('hex');
const emailCsv = { format: 'csv', kind: 'email', column: 'email' };
const emailJsonl = { format: 'jsonl', kind: 'email', column: 'email' };
const listFiles = {
  note: 'Each input is the bytes of a list file (hex), read with `options` (format, kind, column; accountColumn and regionColumn name the metadata columns). `error`: the code that stops the file. `rejects`: every rejected row in order, with the line it starts on, its code and reason; the other rows are accepted. `dropped` (when present): every label dropped from an accepted row, with its line, label and reason.',
  invalid: [
    { description: 'a UTF-16 LE byte order mark', options: emailCsv, input: `fffe${Buffer.from('email\n', 'utf16le').toString('hex')}`, error: 'ingest-encoding' },
    { description: 'a UTF-16 BE byte order mark', options: emailCsv, input: `feff${Buffer.from('email\n', 'utf16le').swap16().toString('hex')}`, error: 'ingest-encoding' },
    { description: 'gzip magic bytes followed by bytes that do not inflate', options: emailCsv, input: `1f8b${hex('email\nalice@example.com\n')}`, error: 'ingest-gzip' },
    { description: 'an empty CSV file', options: emailCsv, input: '', error: 'ingest-empty-file' },
    { description: 'a CSV file of blank lines: no header row', options: emailCsv, input: hex('\n\n'), error: 'ingest-empty-file' },
    { description: 'an empty JSONL file', options: emailJsonl, input: '', error: 'ingest-empty-file' },
    { description: 'a CSV header without the identifier column', options: emailCsv, input: hex('mail\nalice@example.com\n'), error: 'ingest-missing-column' },
    { description: 'a CSV header without the account column', options: { ...emailCsv, accountColumn: 'acct' }, input: hex('email\nalice@example.com\n'), error: 'ingest-missing-column' },
    { description: 'a JSONL file in which no object has the identifier member', options: emailJsonl, input: hex('{"mail":"alice@example.com"}\n'), error: 'ingest-missing-column' },
    { description: 'a CSV header that names the identifier column twice', options: emailCsv, input: hex('email,email\nalice@example.com,bob@example.com\n'), error: 'ingest-duplicate-column' },
    { description: 'a CSV header row that breaks the quoting rules', options: emailCsv, input: hex('"email"x\nalice@example.com\n'), error: 'ingest-csv' },
  ],
  rows: [
    {
      description: 'CSV rows rejected before their identifier is read',
      options: { ...emailCsv, accountColumn: 'acct' },
      input: hex(`email,acct\nalice@example.com,a1\nbob@example.com,b1,extra\nca"rol@example.com,c1\n"dave@example.com"x,d1\nerin@example.com,${'r'.repeat(257)}\nfrank@example.com,f\u00071\n\ngrace@example.com\n`),
      rejects: [
        { line: 3, code: 'invalid-row', reason: 'field-count' },
        { line: 4, code: 'invalid-row', reason: 'csv-syntax' },
        { line: 5, code: 'invalid-row', reason: 'csv-syntax' },
        { line: 6, code: 'invalid-row', reason: 'account-ref' },
        { line: 7, code: 'invalid-row', reason: 'account-ref' },
      ],
    },
    {
      description: 'a short CSV row has no identifier; an identifier that is rejected carries its kind',
      options: { format: 'csv', kind: 'email', column: 'email' },
      input: hex('id,email\n1\n2,not-an-email\n3,alice@example.com\n'),
      rejects: [
        { line: 2, code: 'invalid-row', reason: 'missing-field' },
        { line: 3, code: 'invalid-email', reason: 'email-at-sign' },
      ],
    },
    {
      description: 'a quote that never closes rejects the line it starts on; the lines after it are read again',
      options: emailCsv,
      input: hex('email\n"alice@example.com\nbob@example.com\n'),
      rejects: [{ line: 2, code: 'invalid-row', reason: 'csv-syntax' }],
    },
    {
      description: 'JSONL lines rejected before their identifier is read',
      options: { ...emailJsonl, accountColumn: 'acct' },
      input: hex('{"email":"alice@example.com"}\n{"email":\n["bob@example.com"]\n{"mail":"carol@example.com"}\n{"email":null}\n{"email":7}\n{"email":"dave@example.com","acct":7}\n\n{"email":"erin@example.com","acct":"e\\u00001"}\n'),
      rejects: [
        { line: 2, code: 'invalid-row', reason: 'json-syntax' },
        { line: 3, code: 'invalid-row', reason: 'json-not-object' },
        { line: 4, code: 'invalid-row', reason: 'missing-field' },
        { line: 5, code: 'invalid-row', reason: 'missing-field' },
        { line: 6, code: 'invalid-row', reason: 'field-type' },
        { line: 7, code: 'invalid-row', reason: 'field-type' },
        { line: 9, code: 'invalid-row', reason: 'account-ref' },
      ],
    },
    {
      description: 'labels that break their rule are dropped and the row is kept (code label-dropped)',
      options: { ...emailCsv, labelColumns: { category: 'cat', first_seen: 'seen', reason: 'why' } },
      input: hex(`email,cat,seen,why\nalice@example.com,fraud,2025-01-02,card ring\nbob@example.com,${'c'.repeat(65)},2025-01-02,\ncarol@example.com,fraud,2025-13-01,\ndave@example.com,,,${'w'.repeat(257)}\n`),
      rejects: [],
      dropped: [
        { line: 3, label: 'category', reason: 'label-category' },
        { line: 4, label: 'first_seen', reason: 'label-first-seen' },
        { line: 5, label: 'reason', reason: 'label-reason' },
      ],
    },
    {
      description: 'a phone row whose region cell is not a region',
      options: { format: 'csv', kind: 'phone', column: 'phone', regionColumn: 'cc' },
      input: hex('phone,cc\n+14155550200,\n030 901820,DE\n030 123456,ZZ\n030 123456,DEU\n'),
      rejects: [
        { line: 4, code: 'invalid-row', reason: 'region' },
        { line: 5, code: 'invalid-row', reason: 'region' },
      ],
    },
  ],
};

const aliceDigest = digest('email', 'alice@example.com');
const vectors = {
  source: 'Venn protocol-spec/identifiers.md (version 2). Cases written by hand from the spec, IP hygiene cases drawn around every listed range with a seeded generator; digests computed by packages/identifiers/scripts/generate-vectors.mjs with node:crypto SHA-256. Phone validity per libphonenumber-js "max" metadata.',
  version: 2,
  tag: TAG,
  seed: SEED,
  digest: 'SHA-256(tag || 0x00 || kind || 0x00 || UTF-8(canonical))',
  phone_metadata: `libphonenumber-js ${phoneLib.version} (max)`,
  kinds,
  cross_kind: crossKind.map(({ note, canonical, kinds: names }) => ({ note, canonical, digests: Object.fromEntries(names.map((kind) => [kind, digest(kind, canonical)])) })),
  prehashed: {
    kind: 'email',
    valid: [
      { input: aliceDigest, digest: aliceDigest },
      { input: aliceDigest.toUpperCase(), digest: aliceDigest },
      { input: ` ${aliceDigest}\t`, digest: aliceDigest },
    ],
    invalid: [
      { input: aliceDigest.slice(1), reason: 'prehashed-syntax', note: '63 hex digits' },
      { input: `${aliceDigest}0`, reason: 'prehashed-syntax', note: '65 hex digits' },
      { input: `0x${aliceDigest}`, reason: 'prehashed-syntax' },
      { input: `g${aliceDigest.slice(1)}`, reason: 'prehashed-syntax' },
      { input: 'alice@example.com', reason: 'prehashed-syntax', note: 'a raw value in a prehashed list' },
      { input: '0'.repeat(64), reason: 'identifier-placeholder', rule: 'placeholder-zero-digest' },
      { input: '', reason: 'empty' },
    ],
    listed: [
      { kind: 'device_id', input: digest('device_id', '9774d56d682e549c'), reason: 'identifier-shared', rule: 'android-id-froyo', note: 'digest of 9774d56d682e549c' },
      { kind: 'device_id', input: digest('device_id', '00000000-0000-0000-0000-000000000000').toUpperCase(), reason: 'identifier-placeholder', rule: 'placeholder-filler', note: 'digest of the Nil UUID' },
      { kind: 'payment_fingerprint', input: digest('payment_fingerprint', 'NULL'), reason: 'identifier-placeholder', rule: 'placeholder-word', note: 'digest of NULL' },
      { kind: 'account', input: digest('account', 'N/A'), reason: 'identifier-placeholder', rule: 'placeholder-word', note: 'digest of N/A' },
      { kind: 'wallet', input: digest('wallet', '0x000000000000000000000000000000000000dead'), reason: 'identifier-shared', rule: 'evm-burn-address' },
      { kind: 'email', input: digest('email', '9774d56d682e549c@example.com'), digest: digest('email', '9774d56d682e549c@example.com'), note: 'not listed: accepted' },
    ],
  },
  hygiene: {
    version: HYGIENE_VERSION,
    note: 'Each case gives the canonical form (canonicalization alone) and the reason and rule of the hygiene list (§12); a case with a digest instead is not on the list.',
    cases: [...hygieneCases, ...ofcomCases, ...wordCases, ...issueCases.filter((c) => c[3] !== undefined)].map(hygieneVector),
    ip: ipHygiene,
    not_listed: [...notListed, ...issueCases.filter((c) => c[3] === undefined).map(([kind, input, canonical, , note]) => [kind, input, canonical, note])].map(([kind, input, canonical, note]) => ({ kind, input, canonical, digest: digest(kind, canonical), note })),
    roster_additions: {
      entries: rosterAdditions,
      digest: rosterDigest,
      cases: [
        { kind: 'device_id', input: 'ABCDEF0123456789', canonical: 'abcdef0123456789', reason: 'identifier-shared', rule: 'roster-addition' },
        { kind: 'ip', input: '203.0.113.9', canonical: '203.0.113.9', reason: 'ip-nonunique', rule: 'roster-addition' },
        { kind: 'ip_v4_24', input: '203.0.113.9', canonical: '203.0.113.0/24', reason: 'ip-nonunique', rule: 'roster-addition' },
        { kind: 'ip_v6_64', input: '2001:db8:ffff:1::1', canonical: '2001:db8:ffff:1::/64', reason: 'ip-nonunique', rule: 'roster-addition' },
        { kind: 'email', input: 'NoReply@Example.com', canonical: 'noreply@example.com', reason: 'identifier-shared', rule: 'roster-addition' },
        { kind: 'ip', input: '203.0.114.9', canonical: '203.0.114.9', digest: digest('ip', '203.0.114.9') },
        { kind: 'account', input: 'abcdef0123456789', canonical: 'abcdef0123456789', digest: digest('account', 'abcdef0123456789'), note: 'entries apply to their own kind' },
      ],
      invalid: [
        { entries: [{ kind: 'device_id', value: 'ABCDEF0123456789' }], error: 'hygiene-invalid', note: 'not in canonical form' },
        { entries: [{ kind: 'ip', value: '203.0.113.1/24' }], error: 'hygiene-invalid', note: 'host bits set' },
        { entries: [{ kind: 'fax', value: '1' }], error: 'hygiene-invalid', note: 'unknown kind' },
        { entries: [{ kind: 'phone', value: '+1 415 555 0199' }], error: 'hygiene-invalid', note: 'not in canonical form' },
        { entries: [{ kind: 'ip', value: '::ffff:192.0.2.0/120' }], error: 'hygiene-invalid', note: 'IPv4-mapped range' },
      ],
    },
    local_file: {
      text: localFile,
      entries: [{ kind: 'ip', value: '198.51.100.0/24' }, { kind: 'account', value: 'github:sharedbot' }, { kind: 'device_id', value: 'DEVICE-XYZ' }, { kind: 'phone', value: '+14155550199' }],
      invalid: [
        { text: 'device_id\n', error: 'hygiene-invalid', note: 'no value' },
        { text: 'ip 10.0.0.1/8\n', error: 'hygiene-invalid', note: 'host bits set' },
        { text: 'phone 415 555 0199\n', error: 'hygiene-invalid', note: 'a phone needs a leading +: there is no default region' },
      ],
    },
  },
  list_files: listFiles,
  rules: {
    built_in: rulesString,
    with_roster_additions: rosterRulesString,
    // Each names the code parsing it MUST raise (errors.md), as every other invalid case does.
    invalid: ['', 'venn/identifier/v2', `${TAG}  hygiene/1 libphonenumber-js/${phoneLib.version}`, `${TAG} hygiene/1 libphonenumber-js/1.13`, `${TAG} hygiene/1+roster.ABCDEF0123456789 libphonenumber-js/1.13.16`, `${TAG} hygiene/1 libphonenumber-js/1.13.16 extra`, `x`.repeat(129)]
      .map((text) => ({ text, error: 'invalid-identifier-rules' })),
  },
};

writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
const counts = Object.entries(kinds).map(([kind, v]) => `${kind} ${v.valid.length}/${v.invalid.length}`);
console.log(`wrote ${out}\nvalid/invalid per kind: ${counts.join(', ')}`);
