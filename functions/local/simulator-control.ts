/**
 * The simulator's fault switch, `POST /__simulator/fault`. `npm start` lets
 * a developer switch faults by hand (see docs/local.md); a web page must
 * not. So: the same Host allowlist as the local server, JSON only, and a
 * small body, refused on its headers or as soon as it grows too large,
 * never read in full.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromLoopbackHost, readBodyUpTo, refuse } from './loopback-guard.ts';
import { send } from './simulator-http.ts';

/** Path of the simulator's fault switch: `POST {"fault":"status-503:2"}`, `{"fault":null}` heals. */
export const CONTROL_PATH = '/__simulator/fault';

/** Prefix of every control endpoint. */
export const CONTROL_PREFIX = '/__simulator/';

/** Largest body a control endpoint reads; a fault switch is a few dozen bytes. */
export const CONTROL_MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/json\s*(?:;|$)/i;
const TEXT = { 'content-type': 'text/plain' };

/**
 * Answers one control request.
 * @param hosts - the Host values the simulator answers to
 * @param apply - sets the fault named in the body (`null` or absent heals)
 *   and returns what to answer as `fault`; it throws on a bad name
 */
export async function answerControl(
  req: IncomingMessage,
  res: ServerResponse,
  hosts: ReadonlySet<string>,
  apply: (raw: string | null | undefined) => unknown,
): Promise<void> {
  if (!fromLoopbackHost(req, hosts)) {
    return refuse(res, 421, TEXT, 'Misdirected request: only 127.0.0.1 and localhost\n');
  }
  if (req.method !== 'POST' || req.url !== CONTROL_PATH) {
    return refuse(res, 404, TEXT, 'Not Found\n');
  }
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
    return refuse(res, 415, TEXT, 'Content-Type must be application/json\n');
  }
  const body = await readBodyUpTo(req, CONTROL_MAX_BODY_BYTES);
  if (body === undefined) {
    return refuse(res, 413, TEXT, `Body over ${CONTROL_MAX_BODY_BYTES} bytes\n`);
  }
  try {
    const raw = JSON.parse(body.toString('utf8')) as { fault?: string | null };
    return send(res, 200, { fault: apply(raw.fault) });
  } catch (error) {
    return send(res, 400, { message: error instanceof Error ? error.message : 'bad request' });
  }
}
