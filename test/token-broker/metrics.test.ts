import { afterEach, describe, expect, it } from 'vitest';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { loadConfig } from '../../functions/token-broker/config.ts';
import type { HttpResponse } from '../../functions/token-broker/handler.ts';
import { createEmfMetrics, METRICS } from '../../functions/token-broker/metrics.ts';
import { createRuntime } from '../../functions/token-broker/runtime.ts';
import { emfLines, emfProblems } from '../support/emf.ts';
import { httpApiEvent, lambdaContext } from '../support/events.ts';
import { captureLogger, fakeSecretSource, PLANTED, PLANTED_SECRET } from '../support/fakes.ts';

type Doc = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
};

describe('the EMF validator', () => {
  it.each([
    ['a line without _aws', '{"FunctionName":"f","CacheHits":1}'],
    [
      'a metric without a top-level value',
      '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"CacheHits","Unit":"Count"}]}]},"FunctionName":"f"}',
    ],
    [
      'a dimension without a top-level value',
      '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"CacheHits"}]}]},"CacheHits":1}',
    ],
    [
      'an unknown unit',
      '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"C","Unit":"Things"}]}]},"C":1}',
    ],
    [
      'a fractional timestamp',
      '{"_aws":{"Timestamp":1.5,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[],"Metrics":[{"Name":"C"}]}]},"C":1}',
    ],
  ])('fails when given %s', (_, line) => {
    // Act
    const problems = emfProblems(line);
    // Assess
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('createEmfMetrics', () => {
  it('writes one valid line per dimension set, adding counters and listing latencies', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = createEmfMetrics({ write: (l) => lines.push(l), now: () => 1_795_305_600_000 });
    metrics.add(METRICS.cacheHits);
    metrics.add(METRICS.cacheHits, 2);
    metrics.add(METRICS.upstreamLatency, 40);
    metrics.add(METRICS.upstreamLatency, 60);
    metrics.add(METRICS.upstreamFailures, 1, 'UPSTREAM_TIMEOUT');
    metrics.add(METRICS.circuitOpen, 0);
    metrics.add(METRICS.circuitOpen, 1);
    // Act
    metrics.flush('broker-fn');
    metrics.flush('broker-fn');
    // Assess
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const [main, byCode] = lines.map((l) => JSON.parse(l) as Doc);
    expect(main).toMatchObject({
      _aws: {
        Timestamp: 1_795_305_600_000,
        CloudWatchMetrics: [{ Namespace: 'VisualTokenBroker', Dimensions: [['FunctionName']] }],
      },
      FunctionName: 'broker-fn',
      CacheHits: 3,
      UpstreamLatency: [40, 60],
      UpstreamFailures: 1,
      CircuitBreakerOpen: 1,
    });
    expect(byCode).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [['FunctionName', 'ErrorCode']] }] },
      FunctionName: 'broker-fn',
      ErrorCode: 'UPSTREAM_TIMEOUT',
      UpstreamFailures: 1,
    });
  });
});

describe('createEmfMetrics without a function name', () => {
  it('still writes a valid line', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = createEmfMetrics({ write: (l) => lines.push(l) });
    metrics.add(METRICS.tokensIssued, 2);
    // Act
    metrics.flush('');
    // Assess
    expect(lines.map(emfProblems)).toEqual([[]]);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      FunctionName: 'unknown',
      TokensIssued: 2,
    });
  });
});

describe('metrics of real requests', () => {
  let simulator: UpstreamSimulator | undefined;
  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  async function setup(env: Record<string, string> = {}) {
    simulator = await startUpstreamSimulator({ account: PLANTED });
    const lines: string[] = [];
    const logger = captureLogger();
    const { handler } = createRuntime(
      loadConfig(
        { SECRET_ID: 's', UPSTREAM_URL: simulator.url, ...env },
        { allowLoopbackHttp: true },
      ),
      {
        secretSource: fakeSecretSource(PLANTED_SECRET),
        logger,
        metrics: createEmfMetrics({ write: (l) => lines.push(l) }),
        sleep: async () => {},
      },
    );
    const call = async (deviceNames: string[]) =>
      (await handler(
        httpApiEvent({
          body: { devices: deviceNames.map((deviceName) => ({ productKey: 'pk1', deviceName })) },
        }),
        lambdaContext(),
      )) as HttpResponse;
    return { sim: simulator, lines, logger, call };
  }

  const docs = (lines: string[]) => emfLines(lines).map((l) => JSON.parse(l) as Doc);

  it('counts tokens issued, cache hits and misses, logins, latency and secret fetches', async () => {
    // Prepare
    const { call, lines } = await setup();
    await call(['a', 'b']);
    // Act
    await call(['a', 'c']);
    // Assess
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const [first, second] = docs(lines);
    expect(first).toMatchObject({
      FunctionName: 'token-broker',
      TokensIssued: 2,
      CacheMisses: 2,
      UpstreamLogins: 1,
      UpstreamLatency: expect.any(Number),
      SecretFetches: 1,
      CircuitBreakerOpen: 0,
    });
    expect(first).not.toHaveProperty('CacheHits');
    expect(second).toMatchObject({ TokensIssued: 2, CacheHits: 1, CacheMisses: 1 });
    expect(second).not.toHaveProperty('SecretFetches');
  });

  it('counts upstream failures by code, and reports the open circuit', async () => {
    // Prepare
    const { call, lines, sim } = await setup({
      CIRCUIT_BREAKER_THRESHOLD: '1',
      UPSTREAM_MAX_RETRIES: '0',
    });
    sim.setFault({ kind: 'status-503' });
    // Act
    await call(['a']);
    await call(['a']);
    // Assess
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const all = docs(lines);
    expect(all.filter((d) => d.ErrorCode !== undefined)).toEqual([
      expect.objectContaining({ ErrorCode: 'UPSTREAM_ERROR', UpstreamFailures: 1 }),
      expect.objectContaining({ ErrorCode: 'UPSTREAM_UNAVAILABLE', UpstreamFailures: 1 }),
    ]);
    const main = all.filter((d) => d.ErrorCode === undefined);
    expect(main.map((d) => d.CircuitBreakerOpen)).toEqual([1, 1]);
    expect(main.map((d) => d.UpstreamFailures)).toEqual([1, 1]);
  });

  it('writes no EMF line that carries a credential or a token', async () => {
    // Prepare
    const { call, lines } = await setup();
    // Act
    const response = await call(['a']);
    // Assess
    const token = JSON.parse(response.body).tokens[0].visualToken as string;
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [PLANTED.password, PLANTED.appCode, token]) {
      expect(text).not.toContain(secret);
    }
  });
});
