/** The caller's groups (issue 17): read from the groups claim in each form it arrives in. */
import { describe, expect, it } from 'vitest';
import type { BrokerRequest } from '../../../functions/token-broker/protocol/broker-request.ts';
import { identityOf } from '../../../functions/token-broker/protocol/identity-middleware.ts';
import { httpApiEvent, lambdaContext } from '../../support/events.ts';
import { handlerHarness } from '../../support/handler-harness.ts';

/** The groups `identityOf` finds in a verified JWT whose `cognito:groups` is `value`. */
const groupsOf = (value: unknown) =>
  identityOf(
    { http: { claims: { sub: 'alice', 'cognito:groups': value } } } as unknown as BrokerRequest,
    'cognito:groups',
  ).groups;

describe('the groups claim', () => {
  it.each([
    ['a JSON array', ['ops', 'night'], ['ops', 'night']],
    ['API Gateway’s flattened array', '[ops night]', ['ops', 'night']],
    ['a JSON array in a string', '["ops","night"]', ['ops', 'night']],
    ['a string of names', ' ops  night ', ['ops', 'night']],
  ])('reads %s', (_, value, expected) => {
    // Act
    const groups = groupsOf(value);
    // Assess
    expect(groups).toEqual(expected);
  });

  it('fails when a group name holds a comma to split it: `ops,admin` is one group, not admin', () => {
    // Act
    const flattened = groupsOf('[ops,admin night]');
    const plain = groupsOf('ops,admin');
    // Assess
    expect(flattened).toEqual(['ops,admin', 'night']);
    expect(plain).toEqual(['ops,admin']);
  });
});

describe('the audit line’s groups', () => {
  it('fails when joined by commas: names are joined by spaces, so `ops,admin` stays one group', async () => {
    // Prepare
    const { handler, logger } = handlerHarness();
    const event = httpApiEvent({
      body: { devices: [{ productKey: 'pk', deviceName: 'cam1' }] },
      claims: { sub: 'alice', devices: 'pk/*', 'cognito:groups': '[ops,admin night]' },
    });
    // Act
    const response = (await handler(event, lambdaContext())) as { statusCode: number };
    // Assess
    expect(response.statusCode).toBe(200);
    const audit = logger.lines
      .map((l) => JSON.parse(l) as { message: string; groups?: string })
      .find((l) => l.message === 'token audit');
    expect(audit?.groups).toBe('ops,admin night');
  });
});
