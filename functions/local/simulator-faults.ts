/**
 * The faults the upstream simulator can play, and those of them that
 * replace its answer: a gateway status, a dropped connection, a redirect, a
 * body that is not JSON or too large. The faults that shape a good answer
 * instead (`partial`, `wrong-sub`, …) are played by the login itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './simulator-http.ts';

/**
 * Faults the simulator can play, one per request until `times` runs out:
 * - `delay`: answer after `delayMs` (default 5000)
 * - `status-500`, `status-503`: a gateway error
 * - `status-404`: a plain Not Found, as a wrong path or stage gets
 * - `status-400`: a Bad Request with no `X-Ca-Error-Message` (not a credential refusal)
 * - `status-429`: throttled, with `Retry-After: retryAfterSeconds` (default 1)
 * - `reset`: drop the connection without an answer
 * - `redirect`: `302` to `/elsewhere`
 * - `malformed`: a body that is not JSON
 * - `oversize`: a 2 MiB body
 * - `success-false`: `success:false` with a message
 * - `echo-password`: `success:false` whose message quotes the password sent
 * - `partial`: leave the last device asked for out of the list
 * - `wrong-sub`: a token whose JWT `sub` names another device
 * - `extra`: a token for a device nobody asked for, plus unknown fields
 * - `unauthorized`: the gateway refuses the credentials (401)
 */
export const SIMULATOR_FAULTS = [
  'delay',
  'status-500',
  'status-503',
  'status-404',
  'status-400',
  'status-429',
  'reset',
  'redirect',
  'malformed',
  'oversize',
  'success-false',
  'echo-password',
  'partial',
  'wrong-sub',
  'extra',
  'unauthorized',
] as const;

/** A fault kind. */
export type SimulatorFaultKind = (typeof SIMULATOR_FAULTS)[number];

/** A fault and how many requests it applies to. */
export interface SimulatorFault {
  /** What goes wrong. */
  readonly kind: SimulatorFaultKind;
  /**
   * Requests the fault applies to, then the simulator is healthy again.
   * @default every request
   */
  readonly times?: number;
  /** Delay of `delay`, in ms. @default 5000 */
  readonly delayMs?: number;
  /** `Retry-After` of `status-429`, in seconds. @default 1 */
  readonly retryAfterSeconds?: number;
}

/**
 * Parses `kind` or `kind:times` (the `SIMULATOR_FAULT` setting of `npm start`).
 * @throws Error naming the valid kinds.
 */
export function parseSimulatorFault(raw: string): SimulatorFault {
  const [kind, times] = raw.trim().split(':');
  if (!(SIMULATOR_FAULTS as readonly string[]).includes(kind ?? '')) {
    throw new Error(`unknown simulator fault "${raw}"; one of ${SIMULATOR_FAULTS.join(', ')}`);
  }
  if (times !== undefined && !/^\d+$/.test(times)) {
    throw new Error(`simulator fault count must be a whole number, got "${times}"`);
  }
  return {
    kind: kind as SimulatorFaultKind,
    ...(times === undefined ? {} : { times: Number(times) }),
  };
}

const CHUNK = 'x'.repeat(64 * 1024);

/** Answers that need no request: each takes the response alone. */
const FIXED_ANSWERS: Readonly<Partial<Record<SimulatorFaultKind, (res: ServerResponse) => void>>> =
  {
    'status-500': (res) => send(res, 500, { message: 'Service Unavailable' }),
    'status-503': (res) => send(res, 503, { message: 'Service Unavailable' }),
    'status-404': (res) => send(res, 404, { message: 'Not Found' }),
    'status-400': (res) => send(res, 400, { message: 'Bad Request' }),
    unauthorized: (res) => send(res, 401, { message: 'Unauthorized' }),
    redirect: (res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    },
    malformed: (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>gateway maintenance</html>');
    },
    oversize: (res) => {
      // Chunked, with no Content-Length: the client must count what it reads.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"success":true,"pad":"');
      for (let i = 0; i < 32 && !res.destroyed; i += 1) res.write(CHUNK);
      res.end('"}');
    },
  };

/**
 * Plays `fault` if it replaces the answer; `delay` waits and lets the login
 * go on.
 * @returns whether the request has been answered.
 */
export async function playAnswerFault(
  fault: SimulatorFault,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  now: () => number,
): Promise<boolean> {
  const fixed = FIXED_ANSWERS[fault.kind];
  if (fixed !== undefined) {
    fixed(res);
    return true;
  }
  switch (fault.kind) {
    case 'delay':
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 5000));
      return false;
    case 'status-429':
      send(
        res,
        429,
        { message: 'Too Many Requests' },
        { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
      );
      return true;
    case 'reset':
      req.socket.destroy();
      return true;
    case 'echo-password':
      send(res, 200, {
        success: false,
        msg: `wrong password ${String(JSON.parse(body.toString('utf8') || '{}').password)}`,
        t: now(),
      });
      return true;
    default:
      return false;
  }
}
