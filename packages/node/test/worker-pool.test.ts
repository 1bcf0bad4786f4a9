import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../src/internal/worker-pool.js';

describe('workerExecArgv', () => {
  it('drops the venn-source condition in every spelling and keeps every other flag', () => {
    expect(workerExecArgv(['--conditions', 'venn-source', '--conditions', 'module', '--require', 'x.cjs'])).toEqual(['--conditions', 'module', '--require', 'x.cjs']);
    expect(workerExecArgv(['--conditions=venn-source', '-C', 'venn-source', '-C=venn-source', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv([])).toEqual([]);
    expect(workerExecArgv(['--conditions'])).toEqual(['--conditions']);
  });
});
