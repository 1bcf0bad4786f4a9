/**
 * The epoch input's counts (SPEC §13.2) are checked at both ends of their ranges: each integer
 * field is accepted at its maximum and refused one past it, with a ValidationError naming the
 * field and the range. A node that passed a corrupt count would otherwise run a round whose
 * checks against the peer's OFFER start from a wrong number.
 */
import { ValidationError } from '@venn/errors';
import { MAX_EPOCH_INDEX, MAX_EPOCH_SET_SIZE, MAX_SET_SIZE } from '@venn/wire';
import { describe, expect, it } from 'vitest';
import type { EpochRoundInput } from '../src/index.js';
import { validateEpochInput } from '../src/internal/epoch.js';
import { unloadedEpochInput } from './epoch-harness.js';
import { thrown } from './harness.js';

const base: EpochRoundInput = unloadedEpochInput;

function refusal(input: Partial<EpochRoundInput>): ValidationError {
  const error = thrown(() => validateEpochInput({ ...base, ...input } as EpochRoundInput));
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('epoch input counts at the ends of their ranges', () => {
  it.each([
    ['index', MAX_EPOCH_INDEX, {}],
    ['ownCount', MAX_EPOCH_SET_SIZE, {}],
    ['peerCount', MAX_EPOCH_SET_SIZE, {}],
    ['maxPeerEpochSetSize', MAX_EPOCH_SET_SIZE, {}],
    ['removals', 10, { ownCount: 10 }],
    ['removals', MAX_SET_SIZE, { ownCount: MAX_EPOCH_SET_SIZE }],
  ] as const)('epoch.%s: %i is accepted, one more is refused naming the field and the range', (field, max, context) => {
    expect(() => validateEpochInput({ ...base, ...context, [field]: max } as EpochRoundInput)).not.toThrow();
    const error = refusal({ ...context, [field]: max + 1 });
    expect(error.code).toBe('invalid-option');
    expect(error.message).toBe(`"epoch.${field}" expected an integer in 0..${max}, got number ${max + 1}`);
  });

  it.each(['index', 'ownCount', 'peerCount', 'removals', 'maxPeerEpochSetSize'] as const)('epoch.%s: -1, 1.5 and a string are refused', (field) => {
    for (const value of [-1, 1.5, '3']) expect(refusal({ [field]: value } as Partial<EpochRoundInput>).code).toBe('invalid-option');
  });
});
