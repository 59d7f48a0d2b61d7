/**
 * An independent upstream for the hostile-review tests (issue 20): it
 * speaks the provider's login API on loopback, accepts the accounts it is
 * told to, and names in each token the account that logged in (claim
 * `acct`), so a test can tell whose token a caller was served. It can
 * shorten the token life after the first login and answer a plain 400 for
 * devices named `bogus*`, as the provider does for unknown devices.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOGIN_PATH } from '../../functions/token-broker/upstream/login-client.ts';

/** A running upstream. */
export interface AccountUpstream {
  readonly url: string;
  /** User names whose logins succeed; others get `success:false`. */
  accepted: Set<string>;
  /** Token life of each login, s, by login number (0-based); the last one repeats. */
  lifetimes: number[];
  /** Login requests received (refused ones included), by user name. */
  readonly logins: { readonly userName: string; readonly devices: number }[];
  close(): Promise<void>;
}

const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** The account a token of this upstream names. */
export const accountOfToken = (token: string): string | undefined => {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).acct;
  } catch {
    return undefined;
  }
};

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    userName: string;
    deviceList: { productKey: string; deviceName: string }[];
  };
};

/** Starts it on 127.0.0.1, accepting `accounts`. */
export async function startAccountUpstream(accounts: readonly string[]): Promise<AccountUpstream> {
  const state = {
    accepted: new Set(accounts),
    lifetimes: [3600],
    logins: [] as { userName: string; devices: number }[],
  };
  let successes = 0;
  const server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    state.logins.push({ userName: body.userName, devices: body.deviceList.length });
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (req.url !== LOGIN_PATH) return reply(404, {});
    if (body.deviceList.some((d) => d.deviceName.startsWith('bogus'))) {
      return reply(400, { message: 'unknown device' });
    }
    if (!state.accepted.has(body.userName)) {
      return reply(200, { success: false, code: 1004, msg: 'wrong password' });
    }
    const life = state.lifetimes[Math.min(successes, state.lifetimes.length - 1)] ?? 3600;
    successes += 1;
    const exp = Math.floor(Date.now() / 1000) + life;
    const deviceVisualTokenList = body.deviceList.map((d) => ({
      productKey: d.productKey,
      deviceName: d.deviceName,
      visualToken: `${part({ alg: 'HS256' })}.${part({ sub: `${d.productKey}#${d.deviceName}`, exp, acct: body.userName, jti: randomUUID() })}.sig`,
      expire: life,
    }));
    return reply(200, { success: true, data: { deviceVisualTokenList } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
