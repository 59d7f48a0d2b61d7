/**
 * A loopback stand-in for the provider's User Login API behind its API
 * gateway (docs/upstream.md): it checks the gateway's AppCode and the
 * developer credentials, and issues JWT-shaped visual tokens whose `sub` is
 * `productKey#deviceName`. Used by `npm start` and by the tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { LOGIN_PATH } from '../token-broker/upstream/login-client.ts';
import { fromLoopbackHost, loopbackHosts, readBodyUpTo, refuse } from './loopback-guard.ts';
import { checkGateway } from './simulator-gateway.ts';

/** The account the simulator accepts. */
export interface SimulatorAccount {
  /** Developer account name. */
  readonly userName: string;
  /** Developer password. */
  readonly password: string;
  /** AppCode the gateway requires, if any. */
  readonly appCode?: string;
  /** AppKey of signature mode; with `appSecret`, the gateway requires a valid signature. */
  readonly appKey?: string;
  /** AppSecret of signature mode. */
  readonly appSecret?: string;
}

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

/** The built-in account, matching the local server's dev secret. */
export const DEV_ACCOUNT = {
  userName: 'dev-user',
  password: 'dev-password',
  appCode: 'dev-appcode',
} as const satisfies SimulatorAccount;

/** The built-in account in gateway signature mode (`SIMULATOR_GATEWAY_AUTH=signature`). */
export const DEV_SIGNATURE_ACCOUNT = {
  userName: 'dev-user',
  password: 'dev-password',
  appKey: 'dev-app-key',
  appSecret: 'dev-app-secret',
} as const satisfies SimulatorAccount;

/** Options of {@link startUpstreamSimulator}. */
export interface SimulatorOptions {
  /**
   * The account accepted.
   * @default DEV_ACCOUNT
   */
  readonly account?: SimulatorAccount;
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Token lifetime in seconds, sent as `expire` and as the JWT `exp`.
   * @default 3600
   */
  readonly tokenLifetimeSeconds?: number;
  /**
   * Clock, epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Devices for which no token is returned, as `productKey/deviceName`
   * (a partial answer, as the provider gives for unknown devices).
   * @default none
   */
  readonly unknownDevices?: readonly string[];
  /**
   * The fault played from the start; {@link UpstreamSimulator.setFault} changes it.
   * @default none
   */
  readonly fault?: SimulatorFault;
  /**
   * Serve https with this key and certificate (PEM), as the real gateway
   * does; the benchmark uses it with a throw-away test CA.
   * @default plain http
   */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** One login the simulator received. */
export interface SimulatorLogin {
  /** The devices asked for, as `productKey/deviceName`. */
  readonly devices: string[];
  /** The request headers, lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The exact body bytes received. */
  readonly body: Buffer;
}

/** A running simulator. */
export interface UpstreamSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every login received, oldest first. */
  readonly logins: SimulatorLogin[];
  /** Every visual token issued, oldest first, whether or not the broker passed it on (leak tests). */
  readonly issued: string[];
  /** The path of every request received, in order (a followed redirect would show here). */
  readonly paths: string[];
  /** Every request received at the login path, whether or not a fault answered it. */
  readonly requests: () => number;
  /** Logins in progress right now, and the most seen at once. */
  readonly concurrency: () => { readonly now: number; readonly max: number };
  /** Plays `fault` from the next request on; undefined heals. */
  setFault(fault: SimulatorFault | undefined): void;
  /** Replaces the accepted account (a password rotation). */
  setAccount(account: SimulatorAccount): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Path of the simulator's fault switch: `POST {"fault":"status-503:2"}`, `{"fault":null}` heals. */
export const CONTROL_PATH = '/__simulator/fault';

/** Prefix of every control endpoint. */
const CONTROL_PREFIX = '/__simulator/';

/** Largest body a control endpoint reads; a fault switch is a few dozen bytes. */
export const CONTROL_MAX_BODY_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/** Starts the simulator on 127.0.0.1. */
export async function startUpstreamSimulator(
  options: SimulatorOptions = {},
): Promise<UpstreamSimulator> {
  let account: SimulatorAccount = options.account ?? DEV_ACCOUNT;
  let fault = options.fault;
  let faultLeft = fault?.times ?? Number.POSITIVE_INFINITY;
  let requests = 0;
  const paths: string[] = [];
  let active = 0;
  let maxActive = 0;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const unknown = new Set(options.unknownDevices ?? []);
  const signingKey = randomBytes(32);
  const logins: SimulatorLogin[] = [];
  const issued: string[] = [];

  const takeFault = (): SimulatorFault | undefined => {
    if (fault === undefined || faultLeft <= 0) return undefined;
    faultLeft -= 1;
    return fault;
  };

  // Set once the port is known.
  let hosts: ReadonlySet<string> = new Set();

  /**
   * `npm start` lets a developer switch faults by hand (see docs/local.md). A
   * web page must not: the same Host allowlist as the local server, JSON
   * only, and a small body, refused on its headers or as soon as it grows
   * too large, never read in full.
   */
  const control = async (req: IncomingMessage, res: ServerResponse) => {
    const text = { 'content-type': 'text/plain' };
    if (!fromLoopbackHost(req, hosts)) {
      return refuse(res, 421, text, 'Misdirected request: only 127.0.0.1 and localhost\n');
    }
    if (req.method !== 'POST' || req.url !== CONTROL_PATH) {
      return refuse(res, 404, text, 'Not Found\n');
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      return refuse(res, 415, text, 'Content-Type must be application/json\n');
    }
    const body = await readBodyUpTo(req, CONTROL_MAX_BODY_BYTES);
    if (body === undefined) {
      return refuse(res, 413, text, `Body over ${CONTROL_MAX_BODY_BYTES} bytes\n`);
    }
    try {
      const raw = JSON.parse(body.toString('utf8')) as { fault?: string | null };
      const next = raw.fault ? parseSimulatorFault(raw.fault) : undefined;
      fault = next;
      faultLeft = next?.times ?? Number.POSITIVE_INFINITY;
      return send(res, 200, { fault: next ?? null });
    } catch (error) {
      return send(res, 400, { message: error instanceof Error ? error.message : 'bad request' });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(CONTROL_PREFIX)) {
      paths.push(req.url);
      return control(req, res);
    }
    const body = await readBody(req);
    paths.push(req.url ?? '');
    if (req.method !== 'POST' || req.url !== LOGIN_PATH) {
      return send(res, 404, { message: 'Not Found' });
    }
    requests += 1;
    active += 1;
    maxActive = Math.max(maxActive, active);
    try {
      return await login(req, res, body);
    } finally {
      active -= 1;
    }
  };

  const login = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const playing = takeFault();
    switch (playing?.kind) {
      case 'delay':
        await new Promise((r) => setTimeout(r, playing.delayMs ?? 5000));
        break;
      case 'status-500':
      case 'status-503':
        return send(res, Number(playing.kind.slice(-3)), { message: 'Service Unavailable' });
      case 'status-404':
        return send(res, 404, { message: 'Not Found' });
      case 'status-400':
        return send(res, 400, { message: 'Bad Request' });
      case 'status-429':
        return send(
          res,
          429,
          { message: 'Too Many Requests' },
          { 'retry-after': String(playing.retryAfterSeconds ?? 1) },
        );
      case 'reset':
        req.socket.destroy();
        return;
      case 'redirect':
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>gateway maintenance</html>');
        return;
      case 'oversize': {
        // Chunked, with no Content-Length: the client must count what it reads.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(64 * 1024);
        res.write('{"success":true,"pad":"');
        for (let i = 0; i < 32 && !res.destroyed; i += 1) res.write(chunk);
        res.end('"}');
        return;
      }
      case 'echo-password':
        return send(res, 200, {
          success: false,
          msg: `wrong password ${String(JSON.parse(body.toString('utf8') || '{}').password)}`,
          t: now(),
        });
      case 'unauthorized':
        return send(res, 401, { message: 'Unauthorized' });
      default:
        break;
    }
    // The gateway checks its own credentials before the API sees the request.
    const gatewayError = checkGateway(account, req, body, now());
    if (gatewayError !== undefined) {
      return send(
        res,
        gatewayError.status,
        { message: 'Unauthorized' },
        {
          'x-ca-error-message': gatewayError.message,
        },
      );
    }
    let payload: { userName?: unknown; password?: unknown; deviceList?: unknown };
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return send(res, 400, { success: false, msg: 'invalid json', t: now() });
    }
    const list = Array.isArray(payload.deviceList) ? payload.deviceList : [];
    const devices = list.map((d: { productKey?: unknown; deviceName?: unknown }) => ({
      productKey: String(d?.productKey),
      deviceName: String(d?.deviceName),
    }));
    logins.push({
      devices: devices.map((d) => `${d.productKey}/${d.deviceName}`),
      headers: req.headers,
      body,
    });
    if (
      playing?.kind === 'success-false' ||
      payload.userName !== account.userName ||
      payload.password !== account.password
    ) {
      return send(res, 200, {
        success: false,
        msg: 'user name or password is incorrect',
        t: now(),
      });
    }
    const issuedAt = Math.floor(now() / 1000);
    let answered = devices.filter((d) => !unknown.has(`${d.productKey}/${d.deviceName}`));
    if (playing?.kind === 'partial') answered = answered.slice(0, -1);
    if (playing?.kind === 'extra')
      answered = [...answered, { productKey: 'pkX', deviceName: 'stranger' }];
    const deviceVisualTokenList = await Promise.all(
      answered.map(async (d, i) => ({
        productKey: d.productKey,
        deviceName: d.deviceName,
        visualToken: await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(
            playing?.kind === 'wrong-sub' && i === 0
              ? 'otherProduct#otherDevice'
              : `${d.productKey}#${d.deviceName}`,
          )
          .setIssuedAt(issuedAt)
          .setJti(randomBytes(9).toString('base64url')) // two logins never yield one token
          .setExpirationTime(issuedAt + lifetime)
          .sign(signingKey),
        expire: lifetime,
        ...(playing?.kind === 'extra' ? { internalNote: 'upstream-only field' } : {}),
      })),
    );
    issued.push(...deviceVisualTokenList.map((t) => t.visualToken));
    return send(res, 200, {
      success: true,
      msg: null,
      t: now(),
      data: { deviceVisualTokenList },
      ...(playing?.kind === 'extra' ? { debug: { sessionId: 'upstream-session' } } : {}),
    });
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'simulator error' });
      else res.destroy();
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  hosts = loopbackHosts(port);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    logins,
    issued,
    paths,
    requests: () => requests,
    concurrency: () => ({ now: active, max: maxActive }),
    setFault(next) {
      fault = next;
      faultLeft = next?.times ?? Number.POSITIVE_INFINITY;
    },
    setAccount(next) {
      account = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
