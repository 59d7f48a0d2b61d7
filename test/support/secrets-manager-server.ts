/**
 * A loopback stand-in for the AWS Secrets Manager endpoint (JSON 1.1
 * protocol, `GetSecretValue` and `BatchGetSecretValue`), so the real SDK client — its retries,
 * signing and error parsing included — can be tested offline. Point a client
 * at it with `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What the endpoint does with the next requests. */
export const SECRETS_MANAGER_FAULTS = {
  none: 'none',
  throttle: 'throttle',
  notFound: 'notFound',
  accessDenied: 'accessDenied',
  serverError: 'serverError',
  reset: 'reset',
  hang: 'hang',
} as const;

/** A fault mode of the fake endpoint. */
export type SecretsManagerFault =
  (typeof SECRETS_MANAGER_FAULTS)[keyof typeof SECRETS_MANAGER_FAULTS];

const FAULT_ANSWERS: Record<
  Exclude<SecretsManagerFault, 'none' | 'reset' | 'hang'>,
  { status: number; type: string; message: string }
> = {
  throttle: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
  notFound: {
    status: 400,
    type: 'ResourceNotFoundException',
    message: "Secrets Manager can't find the specified secret.",
  },
  accessDenied: { status: 400, type: 'AccessDeniedException', message: 'Access denied' },
  serverError: { status: 500, type: 'InternalServiceError', message: 'Internal failure' },
};

/** A running fake endpoint. */
export interface FakeSecretsManager {
  /** Endpoint URL for the SDK. */
  readonly url: string;
  /** Requests received (any operation), including faulted ones. */
  readonly calls: number;
  /** The operation of each request received (`GetSecretValue`, `BatchGetSecretValue`). */
  readonly operations: string[];
  /** Sets the secret string served for `secretId`, or for every id without its own. */
  setSecret(value: string, secretId?: string): void;
  /** Makes `secretId` unknown: its reads fail with ResourceNotFoundException. */
  remove(secretId: string): void;
  /** Makes the next `count` requests (default: all) fail with `fault`. */
  fail(fault: SecretsManagerFault, count?: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Environment that points the SDK at `url` with dummy static credentials. */
export const sdkEnvFor = (url: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test-secret-key',
});

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** Options of {@link startFakeSecretsManager}. */
export interface FakeSecretsManagerOptions {
  /**
   * Serve https with this key and certificate (PEM), as the real endpoint
   * does: over plain http the SDK loads `node:http`, which production never
   * does (the benchmark's cold start must not pay for it).
   * @default plain http
   */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** Starts the fake endpoint on 127.0.0.1. */
export async function startFakeSecretsManager(
  initialSecret: string,
  options: FakeSecretsManagerOptions = {},
): Promise<FakeSecretsManager> {
  let secret = initialSecret;
  const byId = new Map<string, string | undefined>();
  const operations: string[] = [];
  let fault: SecretsManagerFault = 'none';
  let remaining = Number.POSITIVE_INFINITY;
  let calls = 0;
  let version = 1;

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    calls += 1;
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    operations.push(operation);
    const active = remaining > 0 ? fault : 'none';
    if (active !== 'none') remaining -= 1;
    // Accepts the request and never answers, as a black-holed connection does.
    if (active === 'hang') return;
    if (active === 'reset') {
      req.socket.destroy();
      return;
    }
    if (active !== 'none') {
      const answer = FAULT_ANSWERS[active];
      res.writeHead(answer.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': answer.type,
      });
      res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
      return;
    }
    const entry = (id: string) => ({
      ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`,
      Name: id,
      SecretString: byId.has(id) ? byId.get(id) : secret,
      VersionId: `v${version}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_795_305_600,
    });
    const known = (id: string) => !byId.has(id) || byId.get(id) !== undefined;
    const input = JSON.parse(body || '{}') as { SecretId?: string; SecretIdList?: string[] };
    if (operation === 'BatchGetSecretValue') {
      // Like the service: one answer, readable secrets in SecretValues, the rest in Errors.
      const ids = input.SecretIdList ?? [];
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          SecretValues: ids.filter(known).map(entry),
          Errors: ids
            .filter((id) => !known(id))
            .map((id) => ({
              SecretId: id,
              ErrorCode: 'ResourceNotFoundException',
              Message: FAULT_ANSWERS.notFound.message,
            })),
        }),
      );
      return;
    }
    const id = input.SecretId ?? '';
    if (!known(id)) {
      const answer = FAULT_ANSWERS.notFound;
      res.writeHead(answer.status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': answer.type,
      });
      res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(entry(id)));
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    get operations() {
      return operations;
    },
    setSecret(value, secretId) {
      if (secretId === undefined) secret = value;
      else byId.set(secretId, value);
      version += 1;
    },
    remove(secretId) {
      byId.set(secretId, undefined);
    },
    fail(next, count = Number.POSITIVE_INFINITY) {
      fault = next;
      remaining = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
