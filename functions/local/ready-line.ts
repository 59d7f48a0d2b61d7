/**
 * The local server's ready line: the banner `npm start` prints (what runs
 * where, and a request that works as printed), and the wait for it in a
 * spawned server's output (`… ready on http://…`), the one thing `npm run
 * fleet` and the tests that spawn `npm start` both need from it.
 */
import type { ChildProcess } from 'node:child_process';
import { issueDevToken } from './dev-issuer.ts';
import { invokeReadyLine } from './lambda-invoke.ts';

/** What the banner reports of a started server. */
export interface ReadyFacts {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The upstream: the built-in simulator's URL, or the configured upstream's origin. */
  readonly upstream: string;
  /** Where the secret comes from. */
  readonly secretDescription: string;
  /** The origins CORS allows. */
  readonly corsAllowedOrigins: readonly string[];
  /** The fleet token store, when TOKEN_TABLE is set. */
  readonly storeDescription: string | undefined;
  /** The grants directory, when GRANTS_TABLE is set. */
  readonly grantsDescription: string | undefined;
  /** The `export` line that points `npm run grants` at it, when GRANTS_TABLE is set. */
  readonly grantsCliExports: string | undefined;
  /** Which product goes to which account, in the multi-account mode (`LOCAL_ACCOUNTS`). */
  readonly accountLines?: readonly string[];
  /** A product key per named account, asked for in the printed request beside the usual device. */
  readonly exampleProducts?: readonly string[];
}

/**
 * The body of the printed request: the README's device, and a camera of
 * each product in `productKeys` (one per account in the multi-account mode).
 */
export function exampleBody(productKeys: readonly string[] = []): string {
  return JSON.stringify({
    devices: [
      { productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' },
      ...productKeys.map((productKey) => ({ productKey, deviceName: 'cam1' })),
    ],
  });
}

/** The start-up banner: what runs where, and a request that works as printed. */
export async function banner(server: ReadyFacts): Promise<string> {
  const token = await issueDevToken();
  const body = exampleBody(server.exampleProducts);
  return [
    `visual-token-broker ready on ${server.url}`,
    `  upstream: ${server.upstream}`,
    `  secret:   ${server.secretDescription}`,
    `  CORS:     ${server.corsAllowedOrigins.join(', ') || 'no origin allowed'}`,
    ...(server.storeDescription ? [`  store:    ${server.storeDescription}`] : []),
    ...(server.grantsDescription ? [`  grants:   ${server.grantsDescription}`] : []),
    ...(server.grantsCliExports
      ? [`            for npm run grants: ${server.grantsCliExports}`]
      : []),
    ...(server.accountLines ?? []),
    invokeReadyLine(server.url),
    '',
    'Try it (the token below is a dev token valid for 1 hour; `npm run --silent dev-token` makes more):',
    '',
    `curl -s -X POST ${server.url}/tokens -H 'Content-Type: application/json' -H 'Authorization: Bearer ${token}' -d '${body}'`,
    '',
  ].join('\n');
}

const READY = /ready on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Resolves to the URL of the ready line once the child prints it.
 * @param output - everything the child printed so far, read at each check
 * @throws Error with the output when the child exits first or `timeoutMs` passes.
 */
export function readyUrl(
  child: ChildProcess,
  output: () => string,
  name: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', exited);
    };
    const check = () => {
      const match = READY.exec(output());
      if (match?.[1]) {
        done();
        resolve(match[1]);
      }
    };
    const exited = (code: number | null) => {
      done();
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.stdout?.on('data', check);
    child.once('exit', exited);
    check();
  });
}
