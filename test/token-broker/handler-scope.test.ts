import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import { createHandler, type HttpResponse } from '../../functions/token-broker/handler.ts';
import { createTokenCache } from '../../functions/token-broker/token-cache.ts';
import { brokerFor } from '../support/broker.ts';
import { httpApiEvent, lambdaContext, restApiEvent } from '../support/events.ts';
import { captureLogger, fakeCredentials, fakeLoginClient } from '../support/fakes.ts';

const d = (productKey: string, deviceName: string): DeviceKey => ({ productKey, deviceName });

const setup = (
  options: { allowedProductKeys?: readonly string[]; deviceScopeClaim?: string } = {},
) => {
  const logger = captureLogger();
  const upstream = fakeLoginClient();
  const broker = brokerFor({
    credentials: fakeCredentials(),
    upstream,
    cache: createTokenCache(1000),
    now: Date.now,
    minTokenValiditySeconds: 0,
    upstreamBatchSize: 20,
  });
  const handler = createHandler({
    broker,
    logger,
    maxDevicesPerRequest: 50,
    ...options,
  });
  return { handler, upstream, logger };
};

type Caller =
  | { readonly kind: 'http'; readonly claims: Record<string, string | string[]> }
  | { readonly kind: 'rest'; readonly claims: Record<string, string | string[]> }
  | { readonly kind: 'direct' };

interface Outcome {
  readonly status: number;
  readonly tokens: string[];
  readonly refused: string[];
  readonly code: string | undefined;
}

/** Calls the handler as `caller` and reduces the answer to what the tests compare. */
async function call(
  handler: ReturnType<typeof createHandler>,
  caller: Caller,
  devices: readonly DeviceKey[],
): Promise<Outcome> {
  const body = { devices };
  if (caller.kind === 'direct') {
    try {
      const result = (await handler(body, lambdaContext())) as {
        tokens: DeviceKey[];
      };
      return { status: 200, tokens: result.tokens.map(deviceId), refused: [], code: undefined };
    } catch (error) {
      const code = (error as Error).message.split(':')[0];
      return { status: code === 'FORBIDDEN_DEVICE' ? 403 : 500, tokens: [], refused: [], code };
    }
  }
  const event =
    caller.kind === 'http'
      ? httpApiEvent({ body, claims: caller.claims })
      : restApiEvent({ body, claims: caller.claims });
  const response = (await handler(event, lambdaContext())) as HttpResponse;
  const parsed = JSON.parse(response.body);
  return {
    status: response.statusCode,
    tokens: (parsed.tokens ?? []).map(deviceId),
    refused: (parsed.devices ?? []).map(deviceId),
    code: parsed.code,
  };
}

describe('handler scope', () => {
  it('fails when devices are outside the grants, with 403 FORBIDDEN_DEVICE listing them and nothing sent upstream', async () => {
    // Prepare
    const { handler, upstream } = setup();
    // Act
    const outcome = await call(handler, { kind: 'http', claims: { devices: 'pkA/dev1' } }, [
      d('pkA', 'dev1'),
      d('pkA', 'dev2'),
      d('pkB', 'dev9'),
    ]);
    // Assess
    expect(outcome).toMatchObject({
      status: 403,
      code: 'FORBIDDEN_DEVICE',
      refused: ['pkA/dev2', 'pkB/dev9'],
    });
    expect(upstream.calls).toEqual([]);
  });

  it('fails when a token cached for one caller is asked for by a caller not entitled to it', async () => {
    // Prepare
    const { handler, upstream } = setup();
    const warm = await call(handler, { kind: 'http', claims: { devices: '*' } }, [
      d('pkA', 'dev1'),
    ]);
    // Act
    const outcome = await call(handler, { kind: 'http', claims: { devices: 'pkB/*' } }, [
      d('pkA', 'dev1'),
    ]);
    // Assess
    expect(warm.tokens).toEqual(['pkA/dev1']);
    expect(outcome).toMatchObject({ status: 403, tokens: [], refused: ['pkA/dev1'] });
    expect(upstream.calls).toEqual([['pkA/dev1']]);
  });

  it('fails when the claim is pk/* and the request is pk2/x, with no upstream call, with 403', async () => {
    // Prepare
    const { handler, upstream } = setup();
    // Act
    const http = await call(handler, { kind: 'http', claims: { devices: 'pk/*' } }, [
      d('pk2', 'x'),
    ]);
    const rest = await call(handler, { kind: 'rest', claims: { devices: ['pk/*'] } }, [
      d('pk2', 'x'),
    ]);
    // Assess
    expect(http).toMatchObject({ status: 403, code: 'FORBIDDEN_DEVICE', refused: ['pk2/x'] });
    expect(rest).toMatchObject({ status: 403, code: 'FORBIDDEN_DEVICE', refused: ['pk2/x'] });
    expect(upstream.calls).toEqual([]);
  });

  it('fails when the caller has no grant claim at all (deny by default)', async () => {
    // Prepare
    const { handler } = setup();
    // Act
    const outcome = await call(handler, { kind: 'http', claims: { sub: 'alice' } }, [
      d('pkA', 'dev1'),
    ]);
    // Assess
    expect(outcome).toMatchObject({ status: 403, refused: ['pkA/dev1'] });
  });

  it('fails when an HTTP event carries no verified identity, with 401', async () => {
    // Prepare
    const { handler, upstream } = setup();
    const event = httpApiEvent({ body: { devices: [d('pkA', 'dev1')] } });
    (event.requestContext as { authorizer?: unknown }).authorizer = undefined;
    // Act
    const response = (await handler(event, lambdaContext())) as HttpResponse;
    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).code).toBe('UNAUTHENTICATED');
    expect(upstream.calls).toEqual([]);
  });

  it('warns with the count, not the values, when the grant claim has malformed entries', async () => {
    // Prepare
    const { handler, logger } = setup();
    // Act
    const outcome = await call(
      handler,
      { kind: 'http', claims: { devices: 'pkA secret-ish/x/y,pkA/dev1' } },
      [d('pkA', 'dev1')],
    );
    // Assess
    expect(outcome.status).toBe(200);
    const warning = logger.lines.map((l) => JSON.parse(l)).find((l) => l.level === 'warn');
    expect(warning).toMatchObject({ claim: 'devices', ignored: 2 });
    expect(logger.lines.join('\n')).not.toContain('secret-ish');
  });

  it('reads grants from the claim named by DEVICE_SCOPE_CLAIM', async () => {
    // Prepare
    const { handler } = setup({ deviceScopeClaim: 'custom:devices' });
    // Act
    const allowed = await call(
      handler,
      { kind: 'http', claims: { 'custom:devices': 'pkA/dev1', devices: '*' } },
      [d('pkA', 'dev1')],
    );
    const refused = await call(
      handler,
      { kind: 'http', claims: { 'custom:devices': 'pkA/dev1', devices: '*' } },
      [d('pkB', 'dev1')],
    );
    // Assess
    expect(allowed.status).toBe(200);
    expect(refused.status).toBe(403);
  });

  it('limits a direct invoker to ALLOWED_PRODUCT_KEYS', async () => {
    // Prepare
    const { handler, upstream } = setup({ allowedProductKeys: ['pkA'] });
    // Act
    const allowed = await call(handler, { kind: 'direct' }, [d('pkA', 'dev1')]);
    const refused = await call(handler, { kind: 'direct' }, [d('pkA', 'dev2'), d('pkZ', 'dev1')]);
    // Assess
    expect(allowed).toMatchObject({ status: 200, tokens: ['pkA/dev1'] });
    expect(refused).toMatchObject({ status: 403, code: 'FORBIDDEN_DEVICE' });
    expect(upstream.calls).toEqual([['pkA/dev1']]);
  });

  it.each([
    ['a JSON array', ['pkA/*', 'pkB/dev1']],
    ['a comma-separated string', 'pkA/*,pkB/dev1'],
    ['the flattened [a b] string', '[pkA/* pkB/dev1]'],
  ])('reads the grant claim as %s on the HTTP API path', async (_name, claim) => {
    // Prepare
    const { handler } = setup();
    // Act
    const ok = await call(handler, { kind: 'http', claims: { devices: claim } }, [
      d('pkA', 'x'),
      d('pkB', 'dev1'),
    ]);
    const refused = await call(handler, { kind: 'http', claims: { devices: claim } }, [
      d('pkB', 'dev2'),
    ]);
    // Assess
    expect(ok.tokens).toEqual(['pkA/x', 'pkB/dev1']);
    expect(refused.status).toBe(403);
  });
});

describe('one scope logic for every event kind', () => {
  const cases: ReadonlyArray<readonly [string, readonly DeviceKey[]]> = [
    ['within the allowlist', [d('pkA', 'dev1'), d('pkA', 'dev2')]],
    ['outside the allowlist', [d('pkA', 'dev1'), d('pkZ', 'dev1')]],
  ];
  it.each(cases)(
    'gives the same answer to a REST API event, an HTTP API event and a direct invoke %s',
    async (_name, devices) => {
      // Prepare: the same `*` grant on both HTTP paths, which a direct invoker has by IAM.
      const claims = { devices: '*' };
      // Act
      const outcomes = await Promise.all(
        (
          [
            { kind: 'http', claims },
            { kind: 'rest', claims },
            { kind: 'direct' },
          ] as const satisfies readonly Caller[]
        ).map(async (caller) => {
          const { handler, upstream } = setup({ allowedProductKeys: ['pkA'] });
          const outcome = await call(handler, caller, devices);
          return { status: outcome.status, tokens: outcome.tokens, upstream: upstream.calls };
        }),
      );
      // Assess
      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[2]).toEqual(outcomes[0]);
    },
  );

  it('reads the REST API Cognito authorizer claims with the same rules', async () => {
    // Prepare
    const { handler, upstream } = setup();
    const claims = { devices: 'pkA/dev1 pkB/*' };
    // Act
    const rest = await call(handler, { kind: 'rest', claims }, [d('pkA', 'dev1'), d('pkC', 'x')]);
    // Assess
    expect(rest).toMatchObject({ status: 403, refused: ['pkC/x'] });
    expect(upstream.calls).toEqual([]);
  });
});

// Small alphabets so that random grants, requests and the shared cache overlap often.
// Keys that are prefixes of each other, so that a grant matched by prefix is caught.
const productKey = fc.constantFrom('pk', 'pk2', 'pkA', 'pkAB', 'pkB');
const device = fc.record({ productKey, deviceName: fc.constantFrom('dev1', 'dev10', 'dev2') });
const grantEntry = fc.oneof(
  fc.constant('*'),
  productKey.map((pk) => `${pk}/*`),
  device.map(deviceId),
);
const claim = fc.oneof(
  fc.array(grantEntry, { maxLength: 4 }),
  fc.array(grantEntry, { maxLength: 4 }).map((entries) => entries.join(',')),
  fc.array(grantEntry, { maxLength: 4 }).map((entries) => `[${entries.join(' ')}]`),
);
const caller = fc.oneof(
  claim.map((c): Caller => ({ kind: 'http', claims: { devices: c } })),
  claim.map((c): Caller => ({ kind: 'rest', claims: { devices: c } })),
  fc.constant<Caller>({ kind: 'direct' }),
);
const step = fc.record({
  caller,
  devices: fc.uniqueArray(device, { minLength: 1, maxLength: 5, selector: deviceId }),
});
const allowlist = fc.option(fc.uniqueArray(productKey, { minLength: 1 }), { nil: undefined });

/** The oracle, written from the entries directly and not from scope.ts. */
function entitled(c: Caller, id: string, allowed: readonly string[] | undefined): boolean {
  const [pk] = id.split('/');
  if (allowed !== undefined && !allowed.includes(pk ?? '')) return false;
  if (c.kind === 'direct') return true;
  const raw = c.claims.devices ?? [];
  const entries = Array.isArray(raw) ? raw : raw.replace(/^\[|\]$/g, '').split(/[\s,]+/);
  return entries.some((e) => e === '*' || e === `${pk}/*` || e === id);
}

describe('scope properties through the handler', () => {
  test.prop([fc.array(step, { minLength: 1, maxLength: 6 }), allowlist])(
    'every caller gets tokens and upstream logins only for devices it is entitled to, whatever others cached',
    async (steps, allowed) => {
      // Prepare
      const { handler, upstream } = setup(allowed ? { allowedProductKeys: allowed } : {});
      for (const { caller: c, devices } of steps) {
        const before = upstream.calls.length;
        // Act
        const outcome = await call(handler, c, devices);
        // Assess
        const requested = devices.map(deviceId);
        const allEntitled = requested.every((id) => entitled(c, id, allowed));
        expect(outcome.status).toBe(allEntitled ? 200 : 403);
        expect(outcome.tokens.every((id) => entitled(c, id, allowed))).toBe(true);
        expect(
          upstream.calls
            .slice(before)
            .flat()
            .every((id) => entitled(c, id, allowed)),
        ).toBe(true);
        if (allEntitled) expect(outcome.tokens).toEqual(requested);
      }
    },
  );
});
