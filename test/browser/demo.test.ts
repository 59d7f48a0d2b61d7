/**
 * The demo page in Debian's chromium: a page on one loopback origin calls
 * the local broker on another. Fails (never skips) when chromium is missing.
 */
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../examples/demo-server.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';
import { type LocalServer, startLocalServer } from '../../functions/local/server.ts';
import { NO_METRICS } from '../../functions/token-broker/metrics.ts';
import { captureLogger } from '../support/fakes.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let keyFile: URL;
let allowed: DemoServer;
let other: DemoServer;
let broker: LocalServer;
let context: BrowserContext;

beforeAll(async () => {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `The browser test needs Debian's chromium at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\` (.ci/run does this).`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'vtb-browser-'));
  keyFile = pathToFileURL(join(dir, 'issuer-key.json'));
  allowed = await startDemoServer(0);
  other = await startDemoServer(0);
  broker = await startLocalServer({
    metrics: NO_METRICS,
    env: { CORS_ALLOWED_ORIGINS: allowed.origin },
    port: 0,
    keyFile,
    logger: captureLogger(),
  });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await context?.close();
  await broker?.close();
  await allowed?.close();
  await other?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the demo on `origin`, asks for `devices` with `token`, returns the page once it answered. */
async function ask(origin: string, token: string, devices: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/?broker=${encodeURIComponent(broker.url)}`);
  await page.fill('#token', token);
  await page.fill('#devices', devices);
  await page.click('#get');
  await page.waitForFunction(() => {
    const state = document.getElementById('status')?.dataset.state;
    return state !== 'idle' && state !== 'pending';
  });
  return page;
}

const state = (page: Page) => page.getAttribute('#status', 'data-state');

describe('demo page in chromium', () => {
  it('shows tokens when the page origin is allowed', async () => {
    // Prepare
    const token = await issueDevToken({ keyFile, devices: 'pkA/*', sub: 'alice' });
    // Act
    const page = await ask(allowed.origin, token, 'pkA/dev1\npkA/dev2');
    // Assess
    expect(await state(page)).toBe('ok');
    const rows = await page.$$eval('#tokens tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)),
    );
    expect(rows.map((r) => r[0])).toEqual(['pkA/dev1', 'pkA/dev2']);
    for (const row of rows) expect(row[2]).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    const loaded = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
    );
    expect(loaded).toContain('/browser-client.js');
    await page.close();
  });

  it('fails when it is outside the token scope, with the refused device shown', async () => {
    // Prepare
    const token = await issueDevToken({ keyFile, devices: 'pkA/dev1', sub: 'alice' });
    const loginsBefore = broker.simulator?.logins.length;
    // Act
    const page = await ask(allowed.origin, token, 'pkA/dev1\npkB/dev9');
    // Assess
    expect(await state(page)).toBe('refused');
    expect(await page.textContent('#status')).toContain('FORBIDDEN_DEVICE): pkB/dev9');
    expect(broker.simulator?.logins.length).toBe(loginsBefore);
    await page.close();
  });

  it('fails when the page origin is not on CORS_ALLOWED_ORIGINS: the browser blocks the response', async () => {
    // Prepare
    const token = await issueDevToken({ keyFile, devices: '*' });
    const consoleErrors: string[] = [];
    context.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    // Act
    const page = await ask(other.origin, token, 'pkA/dev1');
    // Assess
    expect(await state(page)).toBe('blocked');
    expect(await page.$$('#tokens tbody tr')).toHaveLength(0);
    expect(consoleErrors.join('\n')).toMatch(/blocked by CORS policy/);
    await page.close();
  });
});
