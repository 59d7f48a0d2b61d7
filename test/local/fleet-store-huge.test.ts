/**
 * Issue 20 #9 over a real `npm start` process: a store endpoint that answers
 * a BatchGetItem with 64 MiB. The answer is refused once it passes the 4 MiB
 * bound (store/bounded-answers.ts), so the process never holds it, and the
 * request is served without the store.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUGE_ANSWER_BYTES } from '../support/dynamodb-fault-proxy.ts';
import { ask, type FaultyFleet, startFaultyFleet } from '../support/fleet-store.ts';

const TIMEOUT = 60_000;

let f: FaultyFleet;

beforeAll(async () => {
  f = await startFaultyFleet(1);
}, TIMEOUT);

afterAll(async () => {
  await f?.close();
}, TIMEOUT);

/** The peak resident memory of process `pid` so far, bytes (Linux `VmHWM`). */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmHWM for ${pid}`);
  return kib * 1024;
}

describe('a store answer of 64 MiB (#9)', () => {
  it(
    'fails when the answer passes the bound: never read whole, the request served without the store',
    async () => {
      // Prepare: a request through the store first, so the process is warm.
      const [container] = f.fleet.containers;
      const pid = container?.pid ?? 0;
      expect((await ask(container?.url ?? '', ['warm'])).status).toBe(200);
      const before = await peakRss(pid);
      f.proxy.fault('BatchGetItem', 'huge', { times: 1 });

      // Act
      const answer = await ask(container?.url ?? '', ['huge']);

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.tokens.has('huge')).toBe(true);
      expect(f.proxy.faulted('BatchGetItem')).toBe(1);
      const grown = (await peakRss(pid)) - before;
      // Read whole, it cost 110 MiB here (bytes, then text); bounded, about 11.
      expect(grown).toBeLessThan(HUGE_ANSWER_BYTES / 2);
      const warning = (container?.output() ?? '')
        .split('\n')
        .filter((line) => line.includes('token store unavailable'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(warning).toContainEqual(
        expect.objectContaining({ operation: 'read', reason: 'StoreAnswerTooLarge' }),
      );
    },
    TIMEOUT,
  );
});
