/**
 * Which directory items a caller's grants are read from: its user and its
 * groups, well-formed ones only, at most one BatchGetItem's worth.
 */
import { describe, expect, it } from 'vitest';
import {
  ForbiddenDeviceError,
  GrantsUnavailableError,
} from '../../../functions/token-broker/errors.ts';
import {
  MAX_PRINCIPALS,
  principalsOf,
} from '../../../functions/token-broker/grants/directory-grant-source.ts';
import { enforceScope, parseGrants } from '../../../functions/token-broker/scope.ts';

describe('principalsOf', () => {
  it('names the user first, then each group once', () => {
    // Act
    const principals = principalsOf({ kind: 'jwt', sub: 'alice', groups: ['ops', 'ops', 'night'] });

    // Assess
    expect(principals).toEqual(['user:alice', 'group:ops', 'group:night']);
  });

  it('fails when a name holds whitespace or is empty: that principal is not read', () => {
    // Act
    const principals = principalsOf({ kind: 'jwt', sub: 'a b', groups: ['', 'ok'] });

    // Assess
    expect(principals).toEqual(['group:ok']);
  });

  it('reads at most one BatchGetItem of principals, so a token with many groups grants no more', () => {
    // Prepare
    const groups = Array.from({ length: 250 }, (_, i) => `g${i}`);

    // Act
    const principals = principalsOf({ kind: 'jwt', sub: 'bob', groups });

    // Assess
    expect(principals).toHaveLength(MAX_PRINCIPALS);
    expect(principals[0]).toBe('user:bob');
    expect(principals).not.toContain('group:g99');
  });
});

describe('enforceScope with the directory unreadable', () => {
  const unavailable = new GrantsUnavailableError('directory down', 5);
  const grants = { ...parseGrants('pkA/cam1'), unavailable };

  it('fails when a device is not covered by the claim: 503, not 403', () => {
    // Act
    const act = () => enforceScope([{ productKey: 'pkA', deviceName: 'cam2' }], grants, undefined);

    // Assess
    expect(act).toThrow(unavailable);
  });

  it('fails when a device is outside the allowed products: a lasting 403, whatever the directory holds', () => {
    // Act
    const act = () => enforceScope([{ productKey: 'pkZ', deviceName: 'cam2' }], grants, ['pkA']);

    // Assess
    expect(act).toThrow(ForbiddenDeviceError);
  });
});
