/**
 * The cost estimate of docs/operations.md: its figures follow from the
 * stated load and prices by the arithmetic written in cost-model.ts.
 */
import { describe, expect, test } from 'vitest';
import { renderCostEstimate } from '../../scripts/docs/cost-estimate.ts';
import {
  COST_ASSUMPTIONS,
  type CostLine,
  estimateCosts,
  loginsOf,
  PRICES,
  tracedShare,
} from '../../scripts/docs/cost-model.ts';

const find = (lines: readonly CostLine[], service: string, item: string) => {
  const line = lines.find((l) => l.service === service && l.item.startsWith(item));
  if (line === undefined) throw new Error(`no line ${service} / ${item}`);
  return line;
};

describe('cost estimate', () => {
  test('of the stated load: 1M requests, 100,000 L1 misses, 20,000 logins', () => {
    // Act
    const lines = estimateCosts();

    // Assess
    expect(loginsOf()).toBeCloseTo(20_000);
    expect(find(lines, 'DynamoDB', 'read').quantity).toBeCloseTo(300_000);
    expect(find(lines, 'DynamoDB', 'write').quantity).toBeCloseTo(40_000);
    expect(find(lines, 'DynamoDB', 'write').dollars).toBeCloseTo(0.025);
    expect(find(lines, 'API Gateway', 'HTTP API').dollars).toBeCloseTo(1.0);
    // 900,000 × 5 + 80,000 × 25 + 20,000 × 400 + 1,000 × 300 ms, at 0.5 GB.
    expect(find(lines, 'Lambda', 'duration').quantity).toBeCloseTo(7_400);
  });

  test('costs nothing in DynamoDB when every request is an L1 hit', () => {
    // Act
    const lines = estimateCosts({ ...COST_ASSUMPTIONS, l1HitRatio: 1 });

    // Assess
    expect(find(lines, 'DynamoDB', 'read').dollars).toBe(0);
    expect(find(lines, 'DynamoDB', 'write').dollars).toBe(0);
  });

  test('doubles what is billed per request when the load doubles, and nothing else', () => {
    // Prepare
    const once = estimateCosts();

    // Act
    const twice = estimateCosts({ ...COST_ASSUMPTIONS, requests: 2 * COST_ASSUMPTIONS.requests });

    // Assess
    for (const item of ['requests', 'HTTP API', 'read', 'write', 'log ingestion']) {
      const service = once.find((l) => l.item.startsWith(item))?.service ?? '';
      expect(find(twice, service, item).dollars).toBeCloseTo(2 * find(once, service, item).dollars);
    }
    for (const item of ['secrets', 'custom metrics', 'alarms', 'dashboard']) {
      const service = once.find((l) => l.item.startsWith(item))?.service ?? '';
      expect(find(twice, service, item).dollars).toBe(find(once, service, item).dollars);
    }
  });

  test('traces nearly every request at a low rate, and few at a high one', () => {
    // Act
    const shares = [tracedShare(0.01), tracedShare(100)];

    // Assess
    expect(shares[0]).toBeGreaterThan(0.99);
    expect(shares[1]).toBeCloseTo(0.01 + 0.05 * 0.99, 3);
  });

  test('renders every line, the prices and a total equal to their sum', () => {
    // Prepare
    const lines = estimateCosts();
    const sum = lines.reduce((s, l) => s + l.dollars, 0);

    // Act
    const text = renderCostEstimate();

    // Assess
    expect(text).toContain(`**$${sum.toFixed(2)}**`);
    expect(text).toContain(`$${PRICES.lambdaArmPerGbSecond} per GB-second`);
    expect(
      text.match(/^\| (Lambda|API Gateway|DynamoDB|Secrets Manager|CloudWatch|X-Ray) /gm),
    ).toHaveLength(lines.length);
  });
});
