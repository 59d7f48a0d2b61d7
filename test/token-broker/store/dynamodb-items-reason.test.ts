/**
 * reasonOf (dynamodb-items.ts) takes a socket error's code only when it is
 * a string that looks like one: a foreign error with any other code is
 * named by its class, so what reaches a log or a metric dimension is
 * always a short string the broker chose to trust.
 */
import { describe, expect, it } from 'vitest';
import { reasonOf } from '../../../functions/token-broker/store/dynamodb-items.ts';

const live = new AbortController().signal;

describe('reasonOf', () => {
  it.each([
    ['an array', ['ECONNRESET']],
    ['a boxed string', new String('ECONNRESET')],
    ['an object that prints as a code', { toString: (): string => 'ECONNRESET' }],
  ])(
    'fails when the code is %s that prints as an errno code, naming the error class instead',
    (_case, code) => {
      // Prepare
      const error = Object.assign(new Error('socket'), { name: 'ForeignError', code });
      // Act
      const reason = reasonOf(error, live, undefined);
      // Assess
      expect(reason).toBe('ForeignError');
    },
  );

  it('takes a string errno code as it is', () => {
    // Prepare
    const error = Object.assign(new Error('socket'), { name: 'ForeignError', code: 'ECONNRESET' });
    // Act
    const reason = reasonOf(error, live, undefined);
    // Assess
    expect(reason).toBe('ECONNRESET');
  });
});
