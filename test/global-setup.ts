/**
 * Once per test run: compile packages/node and bundle the command line, so every test that runs
 * `venn` as a child process runs the code under test (packages/node/test/helpers/build.ts).
 */
import type { TestProject } from 'vitest/node';
import { buildCli } from '../packages/node/test/helpers/build.js';

export default function setup(project: TestProject): void {
  buildCli();
  project.provide('vennCliBuilt', true);
}
