/**
 * The CLI hands its JWT to the browser client as `getBearerToken`, not the
 * deprecated `getAccessToken` (issue 19): the old name says "access token",
 * while with Cognito the broker takes the ID token. The client is replaced
 * by a recorder, so what the CLI passes is seen as it is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const built = vi.hoisted(() => [] as Record<string, unknown>[]);

vi.mock('../../clients/browser-client.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../clients/browser-client.ts')>();
  /** Records its options and answers without a network. */
  class RecordingClient {
    constructor(options: Record<string, unknown>) {
      built.push(options);
    }
    getTokens() {
      return Promise.resolve({ tokens: [], failures: [] });
    }
    listDevices() {
      return Promise.resolve({ all: false, products: [], devices: [] });
    }
  }
  return { ...real, BrowserTokenClient: RecordingClient };
});

const { run } = await import('../../bin/visual-token-broker.ts');

afterEach(() => {
  built.length = 0;
  vi.restoreAllMocks();
});

describe('the CLI’s browser client', () => {
  it.each([
    ['tokens', ['tokens', 'pkA/dev1']],
    ['devices', ['devices']],
  ])('gets the JWT through getBearerToken for %s, never the deprecated option', async (_, args) => {
    // Prepare
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    // Act
    const code = await run([...args, '--url', 'http://127.0.0.1:9', '--token', 'the-jwt']);
    // Assess
    expect(code).toBe(0);
    expect(built).toHaveLength(1);
    const [options] = built as [Record<string, unknown>];
    expect(Object.keys(options)).not.toContain('getAccessToken');
    expect(typeof options.getBearerToken).toBe('function');
    expect(await (options.getBearerToken as () => Promise<string> | string)()).toBe('the-jwt');
  });
});
