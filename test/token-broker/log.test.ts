import { describe, expect, it } from 'vitest';
import { createLogger, describeError } from '../../functions/token-broker/log.ts';

describe('logger', () => {
  it('writes one JSON object per line with timestamp, level, message and fields', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => 0 });
    // Act
    logger.info('hello "world"', { requestId: 'r1', count: 2 });
    logger.warn('bare');
    logger.debug('dropped below the level');
    // Assess
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        timestamp: '1970-01-01T00:00:00.000Z',
        level: 'info',
        message: 'hello "world"',
        requestId: 'r1',
        count: 2,
      },
      { timestamp: '1970-01-01T00:00:00.000Z', level: 'warn', message: 'bare' },
    ]);
  });
  it('stamps each line with its own millisecond when the clock moves on or back', () => {
    // Prepare
    const lines: string[] = [];
    const clock = [1_000, 1_000, 2_500, 1_000];
    const logger = createLogger({ write: (l) => lines.push(l), now: () => clock.shift() ?? 0 });
    // Act
    for (let i = 0; i < 4; i += 1) logger.info('tick');
    // Assess
    expect(lines.map((l) => (JSON.parse(l) as { timestamp: string }).timestamp)).toEqual([
      '1970-01-01T00:00:01.000Z',
      '1970-01-01T00:00:01.000Z',
      '1970-01-01T00:00:02.500Z',
      '1970-01-01T00:00:01.000Z',
    ]);
  });
});

describe('describeError', () => {
  it('stops following a cause chain that loops back on itself', () => {
    // Prepare
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    // Act
    const described = describeError(a);
    // Assess
    expect(JSON.stringify(described).match(/errorMessage/g)?.length).toBe(5);
  });
});
