/**
 * The cost section of docs/operations.md: the stated load, the prices and
 * the monthly figures of scripts/docs/cost-model.ts, as Markdown.
 */
import {
  COST_ASSUMPTIONS,
  type CostAssumptions,
  estimateCosts,
  loginsOf,
  PRICES,
  type Prices,
} from './cost-model.ts';
import { markdownTable } from './markdown-table.ts';

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const dollars = (n: number) => `$${n.toFixed(2)}`;
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

/** The assumptions, as a bulleted list. */
function renderAssumptions(a: CostAssumptions): string {
  const d = a.durationMs;
  const b = a.logBytes;
  return [
    `- **Load:** ${count(a.requests)} \`POST /tokens\` requests a month, one device each, arriving at random (about ${(a.requests / (30 * 24 * 3600)).toFixed(2)} a second).`,
    `- **Hit ratios:** L1 (the container's cache) ${percent(a.l1HitRatio)}; L2 (the token store) ${percent(a.l2HitRatio)} of the L1 misses; so ${count(loginsOf(a))} upstream logins.`,
    `- **Lambda:** ${a.memoryGb * 1024} MB, arm64; billed ${d.l1Hit} ms for an L1 hit, ${d.l2Hit} ms for an L2 hit, ${d.login} ms for a login (the provider's latency); ${count(a.coldStarts)} cold starts of ${a.initMs} ms, whose init is billed.`,
    `- **Secrets:** ${a.secrets} (credentials, store key), read at each cold start and every ${a.secretCacheSeconds} s by each of ${a.warmContainers} containers warm all month; one \`BatchGetSecretValue\` counted as one call per secret.`,
    `- **DynamoDB:** ${a.readUnitsPerMiss} read units per L1 miss, ${a.writeUnitsPerLogin} write units per login ([fleet.md](fleet.md#what-it-costs-in-dynamodb-requests)); storage left out (one small item per device), as is the logs' storage (30 days, compressed: cents).`,
    `- **Logs per request:** request line ${b.requestLine} B, EMF ${b.emfHit} B on a hit and ${b.emfMiss} B on a miss (measured with \`npm start\`), Lambda's START/END/REPORT ≈ ${b.platform} B, access log ≈ ${b.accessLog} B.`,
    `- **Metrics:** the ${a.customMetrics.length} EMF metrics a healthy load emits every hour (${a.customMetrics.map((m) => `\`${m}\``).join(', ')}); ${a.alarms} alarms; ${a.dashboards} dashboard.`,
    '- **X-Ray:** the default sampling rule (1 request a second, then 5 %) applied to requests arriving at random. Cognito (monthly active users) is left out.',
  ].join('\n');
}

/** The prices, as one sentence. */
function renderPrices(p: Prices): string {
  return [
    `Prices (US dollars, us-east-1, on demand, no free tier; written in \`scripts/docs/cost-model.ts\`, not looked up): Lambda ${dollars(p.lambdaPerMillionRequests)} per million requests and $${p.lambdaArmPerGbSecond} per GB-second (arm64);`,
    `HTTP API ${dollars(p.httpApiPerMillionRequests)} per million requests; DynamoDB on demand $${p.dynamoDbPerMillionReadUnits} per million read and $${p.dynamoDbPerMillionWriteUnits} per million write request units;`,
    `Secrets Manager ${dollars(p.secretPerMonth)} per secret-month and ${dollars(p.secretsManagerPer10kCalls)} per 10,000 calls; CloudWatch Logs ${dollars(p.logsPerGbIngested)} per GB ingested,`,
    `${dollars(p.customMetricPerMonth)} per custom metric-month, ${dollars(p.alarmPerMonth)} per alarm-month, ${dollars(p.dashboardPerMonth)} per dashboard-month; X-Ray ${dollars(p.xrayPerMillionTraces)} per million traces.`,
  ].join('\n');
}

/** The generated cost section: assumptions, prices, and the monthly lines with their total. */
export function renderCostEstimate(
  a: CostAssumptions = COST_ASSUMPTIONS,
  p: Prices = PRICES,
): string {
  const lines = estimateCosts(a, p);
  const total = lines.reduce((sum, l) => sum + l.dollars, 0);
  const quantity = (n: number, unit: string) =>
    `${n < 100 ? Number(n.toFixed(2)).toString() : count(n)} ${unit}`;
  const table = markdownTable(
    ['Service', 'What is billed', 'A month', 'US$'],
    [
      ...lines.map((l) => [l.service, l.item, quantity(l.quantity, l.unit), dollars(l.dollars)]),
      ['**Total**', '', '', `**${dollars(total)}**`],
    ],
  );
  return [renderAssumptions(a), '', renderPrices(p), '', table].join('\n');
}
