/**
 * Every line logged while a request is served carries its `requestId`,
 * also those written deep in the upstream client, which knows nothing of
 * requests: handler → broker → resilient upstream → loopback simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorFault } from '../../functions/local/simulator-faults.ts';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import { createLogger, withRequestId } from '../../functions/token-broker/log.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';

let simulator: UpstreamSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function serveOne(fault: SimulatorFault, requestId: string) {
  simulator = await startUpstreamSimulator({ account: PLANTED, fault });
  const config = loadConfig(
    { SECRET_ID: 'test', UPSTREAM_URL: simulator.url, UPSTREAM_MAX_RETRIES: '1' },
    { allowLoopbackHttp: true },
  );
  const logger = captureLogger();
  const { handler } = createRuntime(config, {
    secretSource: fakeSecretSource(PLANTED_SECRET),
    logger,
    metrics: NO_METRICS,
    sleep: async () => {},
  });
  await handler(
    httpApiEvent({ body: { devices: [{ productKey: 'pk1', deviceName: 'dev1' }] }, requestId }),
    lambdaContext(),
  );
  return logger.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('log lines written while serving a request', () => {
  it.each([
    [
      'a retried upstream failure',
      { kind: 'status-503', times: 1 },
      'upstream attempt failed; retrying',
    ],
    [
      'refused credentials',
      { kind: 'unauthorized' },
      'upstream refused the credentials; the secret is unchanged',
    ],
  ] as const)('carry the request’s id after %s', async (_, fault, message) => {
    // Act
    const lines = await serveOne(fault as SimulatorFault, 'req-traced-1');
    // Assess
    expect(lines.map((l) => l.message)).toContain(message);
    expect(lines.filter((l) => l.requestId !== 'req-traced-1')).toEqual([]);
  });

  it('keep a requestId a line names itself, and carry none outside a request', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l), now: () => 0 });
    // Act
    withRequestId('outer', () => logger.info('own', { requestId: 'inner' }));
    withRequestId('outer', () => logger.warn('bare'));
    withRequestId('outer', () => logger.info('fields', { count: 1 }));
    logger.info('outside');
    // Assess
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { timestamp: '1970-01-01T00:00:00.000Z', level: 'info', message: 'own', requestId: 'inner' },
      { timestamp: '1970-01-01T00:00:00.000Z', level: 'warn', message: 'bare', requestId: 'outer' },
      {
        timestamp: '1970-01-01T00:00:00.000Z',
        level: 'info',
        message: 'fields',
        requestId: 'outer',
        count: 1,
      },
      { timestamp: '1970-01-01T00:00:00.000Z', level: 'info', message: 'outside' },
    ]);
  });
});
