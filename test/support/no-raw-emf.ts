/**
 * Vitest setup (vitest.config.ts `setupFiles`): a test that lets the broker
 * write CloudWatch EMF lines to the test runner's stdout fails, naming how
 * many. `npm test` printed about 670 of them, burying real output; a test
 * that does not read its metrics injects `NO_METRICS` (or a recording
 * sink) instead. The lines are still written, so nothing is hidden.
 */
import { afterAll, afterEach, expect } from 'vitest';

let emfLines = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  emfLines += text.split('\n').filter((line) => line.startsWith('{"_aws"')).length;
  return write(chunk, ...rest);
}) as typeof process.stdout.write;

const check = () => {
  const written = emfLines;
  emfLines = 0;
  expect(
    written,
    'raw EMF lines written to stdout: inject metrics (NO_METRICS) into the runtime or server',
  ).toBe(0);
};

afterEach(check);
afterAll(check);
