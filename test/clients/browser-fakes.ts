/**
 * Fakes for the browser client's tests: a fetch that answers from a script
 * and records what it was sent, a broker answer with tokens, a problem
 * answer, and a loopback server that answers from a script over real HTTP.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceKey } from '../../clients/browser-client.ts';

/** What a scripted answer is made from: the request's devices and how many came before it. */
export type Answer = (devices: DeviceKey[], index: number) => Response | Promise<Response>;

/** A broker answer with a token for each device, valid `expiresIn` seconds. */
export const tokensResponse = (devices: DeviceKey[], expiresIn = 3600, tag = 'x') =>
  Response.json({
    tokens: devices.map((d) => ({
      ...d,
      visualToken: `eyJ.${tag}.${d.deviceName}`,
      expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString(),
      expiresIn,
    })),
    failures: [],
  });

/** A problem+json answer. */
export const problemResponse = (
  status: number,
  body: object,
  headers: Record<string, string> = {},
) =>
  new Response(JSON.stringify({ status, ...body }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });

/** A fetch answering request i with `answers[i]` (the last one over and over), recording each. */
export function scriptedFetch(...answers: Answer[]) {
  const requests: { devices: string[]; signal: AbortSignal | undefined; authorization: string }[] =
    [];
  const doFetch: typeof fetch = async (_input, init) => {
    const { devices } = JSON.parse(String(init?.body)) as { devices: DeviceKey[] };
    const index = requests.length;
    requests.push({
      devices: devices.map((d) => `${d.productKey}/${d.deviceName}`),
      signal: init?.signal ?? undefined,
      authorization: new Headers(init?.headers).get('authorization') ?? '',
    });
    const answer = answers[Math.min(index, answers.length - 1)] as Answer;
    return answer(devices, index);
  };
  return { fetch: doFetch, requests };
}

/** An answer that never comes: it settles only by rejecting when the request is aborted. */
export const hanging =
  (signal: () => AbortSignal | undefined): Answer =>
  () =>
    new Promise<Response>((_resolve, reject) => {
      signal()?.addEventListener('abort', () => reject(signal()?.reason), { once: true });
    });

/** A scripted answer of the loopback server. */
export interface ScriptedHttpAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** A loopback server answering request i with `answers[i]` (the last one over and over). */
export async function startScriptedServer(answers: readonly ScriptedHttpAnswer[]) {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[Math.min(requests.length, answers.length - 1)] as ScriptedHttpAnswer;
      requests.push(req.headers);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
