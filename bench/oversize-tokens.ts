/**
 * Issue 11 point 2, reproduced in process: an upstream that answers a token
 * of about 900 KB for each of 600 devices. Prints the RSS before and after,
 * (after a GC) and how many tokens the broker returned and kept. Not part of
 * `npm run bench`: it measures a bound, not a speed.
 *
 *   node --expose-gc bench/oversize-tokens.ts [devices] [tokenBytes]
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../functions/token-broker/config.ts';
import { createLogger } from '../functions/token-broker/log.ts';
import { NO_METRICS } from '../functions/token-broker/metrics.ts';
import { createRuntime } from '../functions/token-broker/runtime.ts';
import type { HttpTransport } from '../functions/token-broker/upstream/http-transport.ts';

const devices = Number(process.argv[2] ?? 600);
const tokenBytes = Number(process.argv[3] ?? 900_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const memoryMb = () => {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: Math.round(rss / 1e6), heapUsed: Math.round(heapUsed / 1e6) };
};

/** One token per device, opaque, `tokenBytes` of base64url: what a hostile upstream could send. */
const transport: HttpTransport = {
  async post({ body }) {
    const { deviceList } = JSON.parse(new TextDecoder().decode(body)) as {
      deviceList: Array<{ productKey: string; deviceName: string }>;
    };
    const list = deviceList.map((d) => ({
      ...d,
      visualToken: randomBytes(Math.ceil((tokenBytes * 3) / 4))
        .toString('base64url')
        .slice(0, tokenBytes),
      expire: 3600,
    }));
    const text = JSON.stringify({ success: true, data: { deviceVisualTokenList: list } });
    return { status: 200, header: () => undefined, text };
  },
};

const config = loadConfig({
  SECRET_ID: 'bench/oversize',
  UPSTREAM_URL: 'https://upstream.invalid',
  UPSTREAM_BATCH_SIZE: '1',
  LOG_LEVEL: 'error',
});
const runtime = createRuntime(config, {
  secretSource: {
    name: 'bench/oversize',
    read: async () => JSON.stringify({ userName: 'bench', password: 'bench-password' }),
  },
  logger: createLogger({ level: 'error', write: () => {} }),
  metrics: NO_METRICS,
  transport,
});

const before = memoryMb();
let returned = 0;
let refused = 0;
for (let i = 0; i < devices; i += 50) {
  const batch = Array.from({ length: Math.min(50, devices - i) }, (_, j) => ({
    productKey: 'pk1',
    deviceName: `cam${i + j}`,
  }));
  const result = await runtime.broker.getTokens(batch);
  returned += result.tokens.length;
  refused += result.failures.length;
}
const after = memoryMb();
console.log(
  JSON.stringify({
    devices,
    tokenBytes,
    returned,
    refused,
    cached: runtime.cache.size,
    cacheBytes: runtime.cache.bytes,
    before,
    after,
  }),
);
