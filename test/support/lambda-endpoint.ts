/**
 * A loopback stand-in for the Lambda Invoke API
 * (`POST /2015-03-31/functions/{name}/invocations`), so the real SDK client
 * runs end to end. It runs a handler as the Lambda runtime would: a result
 * becomes the payload; a thrown error becomes `{errorType, errorMessage}`
 * with the `X-Amz-Function-Error: Unhandled` header.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './events.ts';

/** What the endpoint does with one invocation of `functionName`. */
export type Invoke = (
  functionName: string,
  event: unknown,
  context: Context,
) => unknown | Promise<unknown>;

/** A running endpoint. */
export interface LambdaEndpoint {
  /** Base URL to give the SDK client as `endpoint`. */
  readonly url: string;
  /** Function names invoked, oldest first. */
  readonly invoked: string[];
  /** The events (payloads) of those invocations, oldest first. */
  readonly events: unknown[];
  /** Stops the server. */
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Starts the endpoint on 127.0.0.1. */
export async function startLambdaEndpoint(invoke: Invoke): Promise<LambdaEndpoint> {
  const invoked: string[] = [];
  const events: unknown[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const match = PATH.exec(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'POST' || !match?.[1]) {
      res.writeHead(404, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Type: 'User', message: 'Function not found' }));
      return;
    }
    const name = decodeURIComponent(match[1]);
    invoked.push(name);
    const event: unknown = JSON.parse(body);
    events.push(event);
    try {
      const result = await invoke(name, event, lambdaContext());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result ?? null));
    } catch (error) {
      const e = error as Error;
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-amz-function-error': 'Unhandled',
      });
      res.end(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invoked,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
