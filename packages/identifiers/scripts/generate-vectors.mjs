#!/usr/bin/env node
/**
 * Writes protocol-spec/vectors/identifiers.json from the hand-written cases below.
 *
 * The expected canonical forms and rejection reasons are written by hand from
 * protocol-spec/identifiers.md; digests are computed here with node:crypto, independently of
 * @venn/identifiers (which uses @noble/hashes), so the vectors check the package rather than
 * restate it. Run: node packages/identifiers/scripts/generate-vectors.mjs
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TAG = 'venn/identifier/v1';
const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../../../protocol-spec/vectors/identifiers.json');
const phoneLib = JSON.parse(readFileSync(resolve(here, '../node_modules/libphonenumber-js/package.json'), 'utf8'));

/** §10: SHA-256(tag || 0x00 || kind || 0x00 || UTF-8(canonical)). */
function digest(kind, canonical) {
  return createHash('sha256').update(`${TAG}\0${kind}\0`, 'utf8').update(canonical, 'utf8').digest('hex');
}

const long = (n, c = 'a') => c.repeat(n);
const label63 = long(63, 'b');

/**
 * Per kind: `equivalent` groups (every input MUST give `canonical`), `distinct` near-miss pairs
 * (both valid, digests MUST differ), `invalid` inputs with their §9 reason.
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
      { canonical: '+14155550100', inputs: ['+1 (415) 555-0100', ['+1 (415) 555-0100', 'US'], '+14155550100', ['(415) 555-0100', 'US'], ['415.555.0100', 'us'], ['1-415-555-0100', 'US'], ['１４１５５５５０１００', 'US'], ['+14155550100', 'GB']] },
      { canonical: '+442079460958', inputs: ['+44 20 7946 0958', ['020 7946 0958', 'GB'], '+44 (0) 20 7946 0958', ['011 44 20 7946 0958', 'US'], ['00 44 20 7946 0958', 'FR']] },
      { canonical: '+33123456789', inputs: ['+33 1 23 45 67 89', ['01 23 45 67 89', 'FR']] },
      { canonical: '+4930123456', inputs: ['+49 30 123456', ['030 123456', 'DE']] },
      { canonical: '+8613800138000', inputs: ['+86 138 0013 8000'] },
      { canonical: '+78005553535', inputs: ['+7 800 555 35 35'] },
      { canonical: '+61293744000', inputs: ['+61 2 9374 4000', ['(02) 9374 4000', 'AU']] },
    ],
    distinct: [
      { note: 'last digit', pair: [['+14155550100', '+14155550100'], ['+14155550101', '+14155550101']] },
      { note: 'same national digits, other region', pair: [[['01 23 45 67 89', 'FR'], '+33123456789'], [['030 123456', 'DE'], '+4930123456']] },
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
      ['null', 'placeholder'],
      ['NULL', 'placeholder'],
      ['N/A', 'placeholder'],
      ['Unknown', 'placeholder'],
      ['0', 'placeholder'],
      ['0000-0000', 'placeholder'],
      ['-', 'placeholder'],
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
      { canonical: '9774d56d682e549c', inputs: ['9774D56D682E549C', '9774d56d682e549c'] },
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
      { note: 'a 31-digit value is not a UUID', pair: [['550E8400-E29B-41D4-A716-446655440000', '550e8400-e29b-41d4-a716-446655440000'], ['550E8400-E29B-41D4-A716-44665544000', '550E8400-E29B-41D4-A716-44665544000']] },
    ],
    invalid: [
      ['00000000-0000-0000-0000-000000000000', 'placeholder', 'Nil UUID'],
      ['{00000000-0000-0000-0000-000000000000}', 'placeholder'],
      ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'placeholder', 'Max UUID'],
      ['0000000000000000', 'placeholder'],
      ['unknown', 'placeholder'],
      ['undefined', 'placeholder'],
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
      { canonical: 'fe80::1', inputs: ['FE80::1', 'fe80:0:0:0:0:0:0:1'] },
      { canonical: '64:ff9b::c000:221', inputs: ['64:ff9b::192.0.2.33'] },
      { canonical: '::c000:201', inputs: ['::192.0.2.1'] },
      { canonical: '1::', inputs: ['1::', '1:0:0:0:0:0:0:0'] },
      { canonical: '::2', inputs: ['::2'] },
      { canonical: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', inputs: ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF'] },
      { canonical: '255.255.255.255', inputs: ['255.255.255.255'] },
      { canonical: '10.0.0.1', inputs: ['10.0.0.1'] },
      { canonical: '0.0.0.1', inputs: ['0.0.0.1'] },
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
      { canonical: '10.1.2.0/24', inputs: ['10.1.2.3'] },
      { canonical: '203.0.113.0/24', inputs: ['203.0.113.250'] },
      { canonical: '255.255.255.0/24', inputs: ['255.255.255.255'] },
      { canonical: '1.2.3.0/24', inputs: ['1.2.3.4'] },
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
      ['0.0.0.0/24', 'ip-unspecified'],
      ['', 'empty'],
    ],
  },

  ip_v6_64: {
    equivalent: [
      { canonical: '2001:db8:1:2::/64', inputs: ['2001:db8:1:2:3:4:5:6', '2001:DB8:1:2::', '2001:db8:1:2::/64', '2001:db8:1:2:ffff:ffff:ffff:ffff/64'] },
      { canonical: '2001:db8::/64', inputs: ['2001:db8::1', '2001:db8:0:0:1::'] },
      { canonical: 'fe80::/64', inputs: ['fe80::1'] },
      { canonical: '2001:db8:0:1::/64', inputs: ['2001:db8:0:1::5'] },
      { canonical: '2001:db8:85a3::/64', inputs: ['2001:0db8:85a3:0000:0000:8a2e:0370:7334'] },
      { canonical: '2a00:1450:4001:81c::/64', inputs: ['2a00:1450:4001:81c::200e'] },
      { canonical: '2001:db8:a:b::/64', inputs: ['2001:db8:a:b:c:d:e:f'] },
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
      ['2001:db8::1%eth0', 'ip-syntax'],
      ['2001:db8::g', 'ip-syntax'],
      ['', 'empty'],
    ],
  },

  wallet: {
    equivalent: [
      { canonical: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', inputs: ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', '0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED', '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', ' 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n'] },
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
      ['0x0000000000000000000000000000000000000000', 'placeholder', 'zero address'],
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
      { canonical: 'github:octocat', inputs: ['github:octocat', '  github:octocat  '] },
      { canonical: 'GitHub:Octocat', inputs: ['GitHub:Octocat'] },
      { canonical: 'café', inputs: ['cafe\u0301', 'caf\u00e9'] },
      { canonical: '\u00c5ngstr\u00f6m', inputs: ['\u212bngstro\u0308m'] },
      { canonical: 'user name with spaces', inputs: ['user name with spaces'] },
      { canonical: 'ユーザー', inputs: ['ユーザー'] },
      { canonical: '@handle', inputs: ['@handle'] },
      { canonical: 'discord:user#1234', inputs: ['discord:user#1234'] },
      { canonical: 'telegram:@someone', inputs: ['\u2003telegram:@someone\u2029'] },
      { canonical: 'x', inputs: ['x'] },
    ],
    distinct: [
      { note: 'case is significant', pair: [['GitHub:Octocat', 'GitHub:Octocat'], ['github:octocat', 'github:octocat']] },
      { note: 'diacritics are significant', pair: [['café', 'café'], ['cafe', 'cafe']] },
    ],
    invalid: [
      ['null', 'placeholder'],
      ['N/A', 'placeholder'],
      ['0', 'placeholder'],
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

function entry(kind, input, canonical) {
  const [value, region] = Array.isArray(input) ? input : [input, undefined];
  return { input: value, ...(region === undefined ? {} : { region }), canonical, digest: digest(kind, canonical) };
}

const kinds = {};
for (const [kind, { equivalent, distinct, invalid }] of Object.entries(cases)) {
  const valid = equivalent.flatMap(({ canonical, inputs }) => inputs.map((input) => entry(kind, input, canonical)));
  for (const { pair, note } of distinct) {
    if (pair[0][1] === pair[1][1]) throw new Error(`${kind}: near miss "${note}" has equal canonical forms`);
  }
  kinds[kind] = {
    valid,
    equivalent: equivalent.filter(({ inputs }) => inputs.length > 1).map(({ canonical, inputs }) => ({
      inputs: inputs.map((input) => (Array.isArray(input) ? { input: input[0], region: input[1] } : { input })),
      canonical,
      digest: digest(kind, canonical),
    })),
    near_misses: distinct.map(({ note, pair }) => ({ note, values: pair.map(([input, canonical]) => entry(kind, input, canonical)) })),
    invalid: invalid.map(([input, reason, note]) => {
      const [value, region] = Array.isArray(input) ? input : [input, undefined];
      return { input: value, ...(region === undefined ? {} : { region }), reason, ...(note === undefined ? {} : { note }) };
    }),
  };
}

const aliceDigest = digest('email', 'alice@example.com');
const vectors = {
  source: 'Venn protocol-spec/identifiers.md (version 1). Cases written by hand from the spec; digests computed by packages/identifiers/scripts/generate-vectors.mjs with node:crypto SHA-256. Phone validity per libphonenumber-js "max" metadata.',
  version: 1,
  tag: TAG,
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
      { input: '0'.repeat(64), reason: 'placeholder' },
      { input: '', reason: 'empty' },
    ],
  },
};

writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
const counts = Object.entries(kinds).map(([kind, v]) => `${kind} ${v.valid.length}/${v.invalid.length}`);
console.log(`wrote ${out}\nvalid/invalid per kind: ${counts.join(', ')}`);
