/** The identifier hygiene list a node applies at ingest (protocol-spec/identifiers.md §12) and its summary. */
import { ValidationError } from '@venn/errors';
import { HYGIENE_REASONS, hygieneList, identifierRules, identifierRulesString, readHygieneFile, type HygieneEntry, type HygieneList, type IngestSummary } from '@venn/identifiers';
import type { NodeConfig } from './config.js';
import { hasRoster } from './node-dir.js';
import { readRosterFile } from './roster.js';

export interface NodeHygiene {
  readonly list: HygieneList;
  /** identifiers.md §13: the rules string this node's lists are ingested under. */
  readonly rules: string;
  readonly rosterEntries: number;
  readonly localEntries: number;
}

/** The built-in list, the installed roster's `identifierHygiene` additions and `hygiene.extraFile`. */
export function hygieneFor(config: NodeConfig): NodeHygiene {
  const roster = hasRoster(config) ? readRosterFile(config.paths.roster).identifierHygiene : undefined;
  let local: HygieneEntry[] | undefined;
  if (config.hygiene.extraFile !== null) {
    try {
      local = readHygieneFile(config.hygiene.extraFile);
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(error.code, `"hygiene.extraFile": ${error.message}`, { cause: error });
      throw error;
    }
  }
  const list = hygieneList({ roster, local });
  return { list, rules: identifierRulesString(identifierRules({ hygiene: list })), rosterEntries: list.rosterEntries, localEntries: list.localEntries };
}

export interface HygieneReport {
  readonly rules: string;
  readonly rosterEntries: number;
  readonly localEntries: number;
  /** Rows the list rejected. */
  readonly rejected: number;
  readonly byReason: Readonly<Record<string, number>>;
  readonly byRule: Readonly<Record<string, number>>;
  readonly text: string;
}

/** How many values each hygiene rule caught in one ingest, from the ingest's per-reason counts. */
export function hygieneSummary(hygiene: NodeHygiene, summary: Pick<IngestSummary, 'rejectReasons' | 'hygieneRules'>): HygieneReport {
  const byReason: Record<string, number> = {};
  for (const reason of HYGIENE_REASONS) {
    const n = summary.rejectReasons[reason] ?? 0;
    if (n > 0) byReason[reason] = n;
  }
  const byRule = Object.fromEntries(Object.entries(summary.hygieneRules).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)));
  const rejected = Object.values(byReason).reduce((a, b) => a + b, 0);
  const extras = [hygiene.rosterEntries > 0 ? `${hygiene.rosterEntries} roster additions` : '', hygiene.localEntries > 0 ? `${hygiene.localEntries} local entries` : ''].filter((x) => x !== '');
  const head = `hygiene (${hygiene.rules}${extras.length > 0 ? `; ${extras.join(', ')}` : ''}): `;
  const text = rejected === 0
    ? `${head}no value rejected`
    : `${head}${rejected} rejected: ${Object.entries(byRule).map(([rule, n]) => `${rule} ${n}`).join(', ')}`;
  return { rules: hygiene.rules, rosterEntries: hygiene.rosterEntries, localEntries: hygiene.localEntries, rejected, byReason, byRule, text };
}
