/** The caller's groups (issue 17): read from the groups claim in each form it arrives in. */
import { describe, expect, it } from 'vitest';
import type { BrokerRequest } from '../../../functions/token-broker/protocol/broker-request.ts';
import { identityOf } from '../../../functions/token-broker/protocol/identity-middleware.ts';

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
