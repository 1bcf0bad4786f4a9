/**
 * Which surviving mutants of a Stryker report only change an error's message text while the tests
 * pin that error by its code (scripts/mutation/run.mjs reports the score without them, as the
 * project's mutation target counts them equivalent).
 */

/**
 * Surviving mutants that only change the text of an error whose code the tests pin: a string or
 * template literal inside the arguments of `new SomeError('code', …)` after the code, where the
 * mutant that empties that code literal was killed. Returns their ids.
 */
export function messageTextMutants(source, mutants) {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const offset = ({ line, column }) => lineStarts[line - 1] + column - 1;
  const byStart = new Map();
  for (const mutant of mutants) if (mutant.mutatorName === 'StringLiteral') byStart.set(offset(mutant.location.start), mutant);
  const pinned = [];
  for (const match of source.matchAll(/new [A-Z]\w*Error\(\s*(['"])[a-z0-9-]+\1\s*,/g)) {
    const open = match.index + match[0].indexOf('(');
    const code = byStart.get(match.index + match[0].indexOf(match[1]));
    if (code !== undefined && (code.status === 'Killed' || code.status === 'Timeout')) pinned.push([match.index + match[0].length, closing(source, open, '(', ')')]);
  }
  const ids = new Set();
  for (const mutant of mutants) {
    if (mutant.mutatorName !== 'StringLiteral' || mutant.status !== 'Survived') continue;
    const at = offset(mutant.location.start);
    if (pinned.some(([from, to]) => at >= from && at < to)) ids.add(mutant.id);
  }
  return ids;
}

/** The offset of the bracket closing the one at `open`, skipping strings and template literals. */
function closing(text, open, left, right) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') i = skipQuoted(text, i);
    else if (c === '`') i = skipTemplate(text, i);
    else if (c === left) depth++;
    else if (c === right && --depth === 0) return i;
  }
  return text.length;
}

function skipQuoted(text, start) {
  let i = start + 1;
  while (i < text.length && text[i] !== text[start]) i += text[i] === '\\' ? 2 : 1;
  return i;
}

function skipTemplate(text, start) {
  let i = start + 1;
  while (i < text.length && text[i] !== '`') {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '$' && text[i + 1] === '{') i = closing(text, i + 1, '{', '}') + 1;
    else i++;
  }
  return i;
}

