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
import { LOGIN_PATH } from '../token-broker/upstream/login-client.ts';
import { loopbackHosts } from './loopback-guard.ts';
import { answerControl, CONTROL_PREFIX } from './simulator-control.ts';
import {
  parseSimulatorFault,
  playAnswerFault,
  type SimulatorFault,
  type SimulatorFaultKind,
} from './simulator-faults.ts';
import { checkGateway, type GatewayCredentials } from './simulator-gateway.ts';
import { readBody, send } from './simulator-http.ts';
import { issueTokens, parseLogin, type SimulatorDevice } from './simulator-tokens.ts';

/** The account the simulator accepts: the developer's, and the gateway's credentials. */
export interface SimulatorAccount extends GatewayCredentials {
  /** Developer account name. */
  readonly userName: string;
  /** Developer password. */
  readonly password: string;
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
   * Token lifetime in seconds, sent as `expire` and as the JWT `exp`
   * (`SIMULATOR_TOKEN_LIFETIME_SECONDS` of `npm start`).
   * @default DEFAULT_TOKEN_LIFETIME_SECONDS (3600)
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

/** What one simulator holds while it runs. */
interface SimulatorState {
  account: SimulatorAccount;
  fault: SimulatorFault | undefined;
  faultLeft: number;
  requests: number;
  active: number;
  maxActive: number;
  /** Set once the port is known. */
  hosts: ReadonlySet<string>;
  readonly lifetimeSeconds: number | undefined;
  readonly now: () => number;
  readonly unknown: ReadonlySet<string>;
  readonly signingKey: Uint8Array;
  readonly logins: SimulatorLogin[];
  readonly issued: string[];
  readonly paths: string[];
}

const initialState = (options: SimulatorOptions): SimulatorState => ({
  account: options.account ?? DEV_ACCOUNT,
  fault: options.fault,
  faultLeft: options.fault?.times ?? Number.POSITIVE_INFINITY,
  requests: 0,
  active: 0,
  maxActive: 0,
  hosts: new Set(),
  lifetimeSeconds: options.tokenLifetimeSeconds,
  now: options.now ?? Date.now,
  unknown: new Set(options.unknownDevices ?? []),
  signingKey: randomBytes(32),
  logins: [],
  issued: [],
  paths: [],
});

function setFault(state: SimulatorState, next: SimulatorFault | undefined): void {
  state.fault = next;
  state.faultLeft = next?.times ?? Number.POSITIVE_INFINITY;
}

function takeFault(state: SimulatorState): SimulatorFault | undefined {
  if (state.fault === undefined || state.faultLeft <= 0) return undefined;
  state.faultLeft -= 1;
  return state.fault;
}

/** Starts the simulator on 127.0.0.1. */
export async function startUpstreamSimulator(
  options: SimulatorOptions = {},
): Promise<UpstreamSimulator> {
  const state = initialState(options);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(state, req, res).catch(() => {
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
  state.hosts = loopbackHosts(port);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    logins: state.logins,
    issued: state.issued,
    paths: state.paths,
    requests: () => state.requests,
    concurrency: () => ({ now: state.active, max: state.maxActive }),
    setFault: (next) => setFault(state, next),
    setAccount(next) {
      state.account = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(state: SimulatorState, req: IncomingMessage, res: ServerResponse) {
  if (req.url?.startsWith(CONTROL_PREFIX)) {
    state.paths.push(req.url);
    return answerControl(req, res, state.hosts, (raw) => {
      const next = raw ? parseSimulatorFault(raw) : undefined;
      setFault(state, next);
      return next ?? null;
    });
  }
  const body = await readBody(req);
  state.paths.push(req.url ?? '');
  if (req.method !== 'POST' || req.url !== LOGIN_PATH) {
    return send(res, 404, { message: 'Not Found' });
  }
  state.requests += 1;
  state.active += 1;
  state.maxActive = Math.max(state.maxActive, state.active);
  try {
    return await login(state, req, res, body);
  } finally {
    state.active -= 1;
  }
}

async function login(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) {
  const playing = takeFault(state);
  if (playing !== undefined && (await playAnswerFault(playing, req, res, body, state.now))) return;
  // The gateway checks its own credentials before the API sees the request.
  const gatewayError = checkGateway(state.account, req, body, state.now());
  if (gatewayError !== undefined) {
    return send(
      res,
      gatewayError.status,
      { message: 'Unauthorized' },
      { 'x-ca-error-message': gatewayError.message },
    );
  }
  const payload = parseLogin(body);
  if (payload === undefined) {
    return send(res, 400, { success: false, msg: 'invalid json', t: state.now() });
  }
  const { devices } = payload;
  state.logins.push({
    devices: devices.map((d) => `${d.productKey}/${d.deviceName}`),
    headers: req.headers,
    body,
  });
  const { account } = state;
  if (
    playing?.kind === 'success-false' ||
    payload.userName !== account.userName ||
    payload.password !== account.password
  ) {
    return send(res, 200, {
      success: false,
      msg: 'user name or password is incorrect',
      t: state.now(),
    });
  }
  return answerTokens(state, res, devices, playing?.kind);
}

async function answerTokens(
  state: SimulatorState,
  res: ServerResponse,
  devices: readonly SimulatorDevice[],
  kind: SimulatorFaultKind | undefined,
) {
  let answered = devices.filter((d) => !state.unknown.has(`${d.productKey}/${d.deviceName}`));
  if (kind === 'partial') answered = answered.slice(0, -1);
  if (kind === 'extra') answered = [...answered, { productKey: 'pkX', deviceName: 'stranger' }];
  const deviceVisualTokenList = await issueTokens(answered, {
    lifetimeSeconds: state.lifetimeSeconds,
    issuedAt: Math.floor(state.now() / 1000),
    key: state.signingKey,
    wrongSub: kind === 'wrong-sub',
    extraField: kind === 'extra',
  });
  state.issued.push(...deviceVisualTokenList.map((t) => t.visualToken));
  return send(res, 200, {
    success: true,
    msg: null,
    t: state.now(),
    data: { deviceVisualTokenList },
    ...(kind === 'extra' ? { debug: { sessionId: 'upstream-session' } } : {}),
  });
}
