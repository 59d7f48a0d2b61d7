/** One account, as before several accounts (issue 18): the same log lines and metrics. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/token-broker/config.ts';
import { createEmfMetrics } from '../../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../../functions/token-broker/runtime.ts';
import { lambdaContext } from '../../support/events.ts';
import { captureLogger, fakeSecretSource } from '../../support/fakes.ts';

describe('one account', () => {
  it('logs its secret and metrics without an account name', async () => {
    // Prepare
    const logger = captureLogger();
    const lines: string[] = [];
    const { handler } = createRuntime(
      loadConfig({ SECRET_ID: 's', UPSTREAM_URL: 'https://gateway.example.com' }),
      {
        secretSource: fakeSecretSource('not json'),
        logger,
        metrics: createEmfMetrics({ write: (line) => lines.push(line) }),
      },
    );
    // Act
    const error = await handler(
      { devices: [{ productKey: 'pk', deviceName: 'cam1' }] },
      lambdaContext(),
    ).catch((e: unknown) => e as Error);
    // Assess
    expect(error).toBeInstanceOf(Error);
    const loads = logger.lines.filter((l) => l.includes('Could not load'));
    expect(loads.map((l) => JSON.parse(l).msg ?? JSON.parse(l).message)).toEqual([
      'Could not load the developer credentials',
    ]);
    expect(logger.lines.some((l) => l.includes('"account"'))).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('"Account"'))).toBe(false);
  });
});
