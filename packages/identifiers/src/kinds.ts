/** The identifier kinds of protocol-spec/identifiers.md §2; each name is also its digest tag. */

export const IDENTIFIER_KINDS = [
  'email',
  'email_folded',
  'phone',
  'payment_fingerprint',
  'device_id',
  'ip',
  'ip_v4_24',
  'ip_v6_64',
  'wallet',
  'account',
] as const;

export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

const kindSet: ReadonlySet<string> = new Set(IDENTIFIER_KINDS);

export function isIdentifierKind(value: unknown): value is IdentifierKind {
  return typeof value === 'string' && kindSet.has(value);
}
