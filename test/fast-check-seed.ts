// Property tests run from one fixed seed, so a run of `npm test` is reproducible and a failure
// in CI is the same failure on a laptop. FC_SEED=<integer> runs them from another seed and
// FC_SEED=random from a fresh one each time (fast-check prints the seed of any failure):
// the way to look for counterexamples the fixed seed does not reach.
import fc from 'fast-check';

const DEFAULT_SEED = 20_261_204;

function seedFromEnvironment(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return DEFAULT_SEED;
  if (text === 'random') return undefined;
  if (!/^-?[0-9]{1,10}$/.test(text) || !Number.isSafeInteger(Number(text)) || Math.abs(Number(text)) > 2 ** 31) {
    throw new Error(`FC_SEED: expected an integer between -2^31 and 2^31, or "random"; got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

const seed = seedFromEnvironment(process.env.FC_SEED);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
