/**
 * The DynamoDB token store's item layout and expression helpers, alone: the
 * store tests reach them through dynalite, where a wrong attribute name or a
 * reason string read the wrong way round can still pass.
 */
import { describe, expect, it } from 'vitest';
import {
  A,
  BATCH_GET_MAX_KEYS,
  COUNTER_GRACE_SECONDS,
  isConditionFailure,
  num,
  readNum,
  reasonOf,
  seconds,
  str,
  tokenAad,
  update,
} from '../../../functions/token-broker/store/dynamodb-items.ts';

const idle = () => new AbortController().signal;
const aborted = () => AbortSignal.abort();
const named = (name: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new Error('message that must not be the reason'), { name }, fields);

describe('item layout', () => {
  it('keeps the attribute names that items already in a table carry', () => {
    // Assess
    expect(A).toEqual({
      pk: 'pk',
      ttl: 'ttl',
      ciphertext: 'ct',
      expiresAt: 'exp',
      refreshedAt: 'rat',
      leaseHolder: 'lh',
      leaseUntil: 'lu',
      openUntil: 'until',
      logins: 'n',
    });
  });

  it("holds DynamoDB's BatchGetItem limit and a counter grace of three hours", () => {
    // Assess
    expect(BATCH_GET_MAX_KEYS).toBe(100);
    expect(COUNTER_GRACE_SECONDS).toBe(10_800);
  });

  it('writes numbers and strings as DynamoDB attribute values', () => {
    // Act
    const values = [num(1_795_305_600_000), num(-1.5), str('p/d')];
    // Assess
    expect(values).toEqual([{ N: '1795305600000' }, { N: '-1.5' }, { S: 'p/d' }]);
  });

  it.each([
    [0, 0],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [1_795_305_600_001, 1_795_305_601],
  ])('turns %d ms into %d s for the TTL, rounding up', (epochMs, expected) => {
    // Act
    const actual = seconds(epochMs);
    // Assess
    expect(actual).toBe(expected);
  });

  it('reads a number attribute, and nothing for an absent or non-number one', () => {
    // Prepare
    const item = { exp: { N: '42' }, zero: { N: '0' }, pk: { S: '7' } };
    // Act
    const read = [readNum(item, 'exp'), readNum(item, 'zero'), readNum(item, 'pk')];
    const absent = readNum(item, 'rat');
    // Assess
    expect(read).toEqual([42, 0, undefined]);
    expect(absent).toBeUndefined();
  });

  it('authenticates the key and both plain times, an absent refresh time as empty', () => {
    // Act
    const refreshed = tokenAad('t#acct#p/d', 2000, 1000);
    const fresh = tokenAad('t#acct#p/d', 2000, undefined);
    // Assess
    expect(refreshed).toBe('t#acct#p/d\n2000\n1000');
    expect(fresh).toBe('t#acct#p/d\n2000\n');
  });
});

describe('update', () => {
  it('names every placeholder of the update and the condition, and only those', () => {
    // Prepare
    const values = { ':v': num(1) };
    // Act
    const input = update('table', 't#acct#p/d', {
      update: 'SET #ct = :v, #exp = :v, #rat = :v, #ttl = :v',
      condition: 'attribute_not_exists(#lh) OR #lu < :v OR #until < :v OR #n < :v',
      values,
    });
    // Assess
    expect(input).toEqual({
      TableName: 'table',
      Key: { pk: { S: 't#acct#p/d' } },
      UpdateExpression: 'SET #ct = :v, #exp = :v, #rat = :v, #ttl = :v',
      ConditionExpression: 'attribute_not_exists(#lh) OR #lu < :v OR #until < :v OR #n < :v',
      ExpressionAttributeNames: {
        '#ct': 'ct',
        '#exp': 'exp',
        '#rat': 'rat',
        '#ttl': 'ttl',
        '#lh': 'lh',
        '#lu': 'lu',
        '#until': 'until',
        '#n': 'n',
      },
      ExpressionAttributeValues: values,
    });
  });

  it('sends no condition when none is given', () => {
    // Act
    const input = update('table', 'c#acct', { update: 'SET #until = :u', values: {} });
    // Assess
    expect(input.ConditionExpression).toBeUndefined();
    expect(input.ExpressionAttributeNames).toEqual({ '#until': 'until' });
  });

  it.each([
    ['the update', { update: 'SET #nope = :v', values: {} }],
    ['the condition', { update: 'SET #n = :v', condition: 'attribute_exists(#nope)', values: {} }],
  ])('fails when %s holds a placeholder with no attribute, naming it', (_where, parts) => {
    // Act
    const act = () => update('table', 'pk', parts);
    // Assess
    expect(act).toThrow('Unknown attribute placeholder #nope');
  });
});

describe('isConditionFailure', () => {
  it.each([
    ['a ConditionalCheckFailedException', named('ConditionalCheckFailedException'), true],
    ['another SDK error', named('ProvisionedThroughputExceededException'), false],
    ['a look-alike that is no Error', { name: 'ConditionalCheckFailedException' }, false],
    ['undefined', undefined, false],
  ])('tells %s apart', (_what, error, expected) => {
    // Act
    const actual = isConditionFailure(error);
    // Assess
    expect(actual).toBe(expected);
  });
});

describe('reasonOf', () => {
  it.each([
    ['the caller gave up, whatever else happened', aborted(), aborted(), 'ABORTED'],
    ['the deadline passed and the caller is still there', aborted(), idle(), 'DEADLINE_EXCEEDED'],
    [
      'the deadline passed and there is no caller signal',
      aborted(),
      undefined,
      'DEADLINE_EXCEEDED',
    ],
  ])('says who gave up when %s', (_when, deadline, caller, expected) => {
    // Act
    const reason = reasonOf(named('AbortError', { code: 'ECONNRESET' }), deadline, caller);
    // Assess
    expect(reason).toBe(expected);
  });

  it.each([
    ['a socket code', named('Error', { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    [
      'a socket code with underscores',
      named('Error', { code: 'ERR_SOCKET_CLOSED' }),
      'ERR_SOCKET_CLOSED',
    ],
    [
      'a code that only contains one',
      named('TimeoutError', { code: 'XECONNRESET' }),
      'TimeoutError',
    ],
    ['a code with more after one', named('TimeoutError', { code: 'ECONNRESET1' }), 'TimeoutError'],
    ['a code in lower case', named('TimeoutError', { code: 'econnreset' }), 'TimeoutError'],
    ['a bare E', named('TimeoutError', { code: 'E' }), 'TimeoutError'],
    ['a numeric code', named('ThrottlingException', { code: 503 }), 'ThrottlingException'],
    ['no code', named('ThrottlingException'), 'ThrottlingException'],
    ['an overlong name', named('N'.repeat(100)), 'N'.repeat(80)],
    ['a thrown string', 'ECONNRESET', 'UNKNOWN'],
    ['a thrown null', null, 'UNKNOWN'],
    ['a plain object with a code', { code: 'EPIPE' }, 'EPIPE'],
  ])('reads %s', (_what, error, expected) => {
    // Act
    const reason = reasonOf(error, idle(), idle());
    // Assess
    expect(reason).toBe(expected);
  });
});
