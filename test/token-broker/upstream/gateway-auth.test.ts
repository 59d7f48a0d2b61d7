import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../../functions/local/upstream-simulator.ts';
import {
  contentMd5,
  gatewayAuthHeaders,
  signature,
  stringToSign,
} from '../../../functions/token-broker/upstream/gateway-auth.ts';
import { createLoginClient } from '../../../functions/token-broker/upstream/login-client.ts';

/**
 * Worked example of Alibaba Cloud API Gateway digest authentication
 * ("signature string extraction example"):
 * https://www.alibabacloud.com/help/en/api-gateway/traditional-api-gateway/user-guide/use-digest-authentication-to-call-an-api
 * The request has a form body, so Content-MD5 is empty and the form
 * parameters join the query. The documentation publishes no AppSecret for
 * it, so the signature value itself is checked against an HMAC computed here.
 */
const DOC_EXAMPLE = {
  method: 'POST',
  pathAndQuery: '/http2test/test?param1=test&username=xiaoming&password=123456789',
  headers: {
    accept: 'application/json; charset=utf-8',
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    date: 'Wed, 09 May 2018 13:30:29 GMT+00:00',
    'x-ca-timestamp': '1525872629832',
    'x-ca-nonce': 'c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44',
    'x-ca-key': '203753385',
    'x-ca-signature-method': 'HmacSHA256',
    'user-agent': 'ALIYUN-ANDROID-DEMO',
  },
  signedHeaders: ['x-ca-timestamp', 'x-ca-key', 'x-ca-nonce', 'x-ca-signature-method'],
  expected: [
    'POST',
    'application/json; charset=utf-8',
    '',
    'application/x-www-form-urlencoded; charset=utf-8',
    'Wed, 09 May 2018 13:30:29 GMT+00:00',
    'x-ca-key:203753385',
    'x-ca-nonce:c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44',
    'x-ca-signature-method:HmacSHA256',
    'x-ca-timestamp:1525872629832',
    '/http2test/test?param1=test&password=123456789&username=xiaoming',
  ].join('\n'),
};

const SIGNING = { appKey: 'test-app-key', appSecret: 'canary-app-secret-51e0c9' } as const;
const device = { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' };

describe('gateway signature', () => {
  let simulator: UpstreamSimulator | undefined;
  afterEach(async () => {
    await simulator?.close();
    simulator = undefined;
  });

  it('builds the documented string to sign', () => {
    // Act
    const actual = stringToSign(DOC_EXAMPLE);
    // Assess
    expect(actual).toBe(DOC_EXAMPLE.expected);
  });

  it('keeps the newline of every empty fixed line and omits a missing query', () => {
    // Act
    const actual = stringToSign({
      method: 'post',
      pathAndQuery: '/v1/login',
      headers: {},
      signedHeaders: ['X-Ca-Key', 'Content-Type'],
    });
    // Assess
    expect(actual).toBe('POST\n\n\n\n\nx-ca-key:\n/v1/login');
  });

  it.each([
    ['sorts the query parameters by name', '/p?e=5&d=4&c=3&b=2&a=1', '/p?a=1&b=2&c=3&d=4&e=5'],
    ['keeps parameters of one name in the order sent', '/p?b=1&a=2&a=1&a=3', '/p?a=2&a=1&a=3&b=1'],
    ['keeps a parameter without a value as its bare name', '/p?b=2&flag&a=', '/p?a&b=2&flag'],
    ['drops empty parameters', '/p?b=2&&a=1&', '/p?a=1&b=2'],
    ['drops an empty query', '/p?', '/p'],
    ['sorts an empty name first', '/p?0=1&=x', '/p?=x&0=1'],
    ['sorts a query with no path before it', '?b=1&a=2', '?a=2&b=1'],
  ])('%s in the string to sign', (_rule, pathAndQuery, expected) => {
    // Act
    const actual = stringToSign({ method: 'GET', pathAndQuery, headers: {}, signedHeaders: [] });
    // Assess
    expect(actual).toBe(`GET\n\n\n\n\n${expected}`);
  });

  it('never signs the fixed-line headers or the signature headers as signed headers', () => {
    // Act
    const actual = stringToSign({
      method: 'POST',
      pathAndQuery: '/p',
      headers: { 'X-Ca-Signature': 'sig', 'X-Ca-Signature-Headers': 'x', Accept: 'a', Date: 'd' },
      signedHeaders: ['X-Ca-Signature', 'x-ca-signature-headers', 'Accept', 'content-md5', 'Date'],
    });
    // Assess
    expect(actual).toBe('POST\na\n\n\nd\n/p');
  });

  it.each([
    ['none', { mode: 'none' }, {}],
    ['appCode', { mode: 'appCode', appCode: 'code-1' }, { Authorization: 'APPCODE code-1' }],
  ] as const)('sends the %s headers', (_mode, auth, expected) => {
    // Act
    const headers = gatewayAuthHeaders(auth, {
      method: 'POST',
      pathAndQuery: '/p',
      headers: {},
      body: new Uint8Array(),
    });
    // Assess
    expect(headers).toEqual(expected);
  });

  it('signs with base64 HMAC-SHA256 of the AppSecret', () => {
    // Act
    const actual = signature('secret', DOC_EXAMPLE.expected);
    // Assess
    expect(actual).toBe(
      createHmac('sha256', 'secret').update(DOC_EXAMPLE.expected).digest('base64'),
    );
    expect(Buffer.from(actual, 'base64')).toHaveLength(32);
  });

  it('sends every documented header, with an injected clock and nonce', () => {
    // Prepare
    const body = new TextEncoder().encode('{"a":"é"}');
    // Act
    const headers = gatewayAuthHeaders(
      { mode: 'signature', ...SIGNING },
      {
        method: 'POST',
        pathAndQuery: '/p',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body,
      },
      { now: () => 1525872629832, nonce: () => 'c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44' },
    );
    // Assess
    expect(headers).toEqual({
      'Content-MD5': createHash('md5').update(body).digest('base64'),
      'x-ca-key': SIGNING.appKey,
      'x-ca-nonce': 'c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44',
      'x-ca-signature-method': 'HmacSHA256',
      'x-ca-timestamp': '1525872629832',
      'x-ca-signature-headers': 'x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-timestamp',
      'x-ca-signature': signature(
        SIGNING.appSecret,
        [
          'POST',
          'application/json',
          contentMd5(body),
          'application/json',
          '',
          `x-ca-key:${SIGNING.appKey}`,
          'x-ca-nonce:c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44',
          'x-ca-signature-method:HmacSHA256',
          'x-ca-timestamp:1525872629832',
          '/p',
        ].join('\n'),
      ),
    });
  });

  it('signs the exact body bytes sent, which the simulator verifies as the gateway would', async () => {
    // Prepare
    simulator = await startUpstreamSimulator({
      account: { userName: 'u', password: 'pé', ...SIGNING },
    });
    const client = createLoginClient({ baseUrl: simulator.url, timeoutMs: 2000 });
    // Act
    const tokens = await client.login(
      { userName: 'u', password: 'pé', gateway: { mode: 'signature', ...SIGNING } },
      [device],
    );
    // Assess
    const received = simulator.logins[0];
    expect(tokens).toHaveLength(1);
    expect(received?.headers['content-md5']).toBe(contentMd5(received?.body ?? Buffer.alloc(0)));
    expect(JSON.stringify(received?.headers)).not.toContain(SIGNING.appSecret);
  });

  it('fails when the AppSecret is wrong: the gateway refuses the signature', async () => {
    // Prepare
    simulator = await startUpstreamSimulator({
      account: { userName: 'u', password: 'p', ...SIGNING },
    });
    const client = createLoginClient({ baseUrl: simulator.url, timeoutMs: 2000 });
    // Act
    const attempt = client.login(
      {
        userName: 'u',
        password: 'p',
        gateway: { mode: 'signature', appKey: SIGNING.appKey, appSecret: 'wrong' },
      },
      [device],
    );
    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'UPSTREAM_REJECTED',
      message: 'Upstream gateway refused the credentials (HTTP 400 Invalid Signature)',
    });
    expect(simulator.logins).toHaveLength(0);
  });
});
