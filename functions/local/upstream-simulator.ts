/**
 * A loopback stand-in for the provider's User Login API behind its API
 * gateway (../shared/upstream/): it checks the gateway's AppCode and the
 * developer credentials, and issues JWT-shaped visual tokens whose `sub` is
 * `productKey#deviceName`. Used by `npm start` and by the tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { LOGIN_PATH } from '../token-broker/upstream/login-client.ts';

/** The account the simulator accepts. */
export interface SimulatorAccount {
  /** Developer account name. */
  readonly userName: string;
  /** Developer password. */
  readonly password: string;
  /** AppCode the gateway requires, if any. */
  readonly appCode?: string;
}

/** The built-in account, matching the local server's dev secret. */
export const DEV_ACCOUNT = {
  userName: 'dev-user',
  password: 'dev-password',
  appCode: 'dev-appcode',
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

/** Starts the simulator on 127.0.0.1. */
export async function startUpstreamSimulator(
  options: SimulatorOptions = {},
): Promise<UpstreamSimulator> {
  const account = options.account ?? DEV_ACCOUNT;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const unknown = new Set(options.unknownDevices ?? []);
  const signingKey = randomBytes(32);
  const logins: SimulatorLogin[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (req.method !== 'POST' || req.url !== LOGIN_PATH) {
      return send(res, 404, { message: 'Not Found' });
    }
    // The gateway checks its own credentials before the API sees the request.
    if (
      account.appCode !== undefined &&
      req.headers.authorization !== `APPCODE ${account.appCode}`
    ) {
      return send(
        res,
        401,
        { message: 'Unauthorized' },
        { 'x-ca-error-message': 'Invalid AppCode' },
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
    if (payload.userName !== account.userName || payload.password !== account.password) {
      return send(res, 200, {
        success: false,
        msg: 'user name or password is incorrect',
        t: now(),
      });
    }
    const issuedAt = Math.floor(now() / 1000);
    const deviceVisualTokenList = await Promise.all(
      devices
        .filter((d) => !unknown.has(`${d.productKey}/${d.deviceName}`))
        .map(async (d) => ({
          productKey: d.productKey,
          deviceName: d.deviceName,
          visualToken: await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject(`${d.productKey}#${d.deviceName}`)
            .setIssuedAt(issuedAt)
            .setExpirationTime(issuedAt + lifetime)
            .sign(signingKey),
          expire: lifetime,
        })),
    );
    return send(res, 200, { success: true, msg: null, t: now(), data: { deviceVisualTokenList } });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'simulator error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logins,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
