/**
 * Fakes of the broker's ports, for tests that need no network.
 */
import type {
  Credentials,
  CredentialsProvider,
  SecretSource,
} from '../../functions/token-broker/credentials.ts';
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import { createLogger, type Logger } from '../../functions/token-broker/log.ts';
import type {
  LoginClient,
  UpstreamToken,
} from '../../functions/token-broker/upstream/login-client.ts';

/** Credentials with planted, unique values, to detect leaks. */
export const PLANTED = {
  userName: 'canary-user',
  password: 'canary-password-9f2c1e',
  appCode: 'canary-appcode-7b4d0a',
} as const;

/** A secret string holding {@link PLANTED}. */
export const PLANTED_SECRET = JSON.stringify(PLANTED);

/** Credentials built from {@link PLANTED}. */
export const plantedCredentials: Credentials = {
  userName: PLANTED.userName,
  password: PLANTED.password,
  gateway: { mode: 'appCode', appCode: PLANTED.appCode },
};

/** A credentials provider that always answers {@link plantedCredentials}. */
export const fakeCredentials = (): CredentialsProvider & { gets: number } => {
  const fake = {
    gets: 0,
    async get() {
      fake.gets += 1;
      return plantedCredentials;
    },
    async refresh() {
      return plantedCredentials;
    },
  };
  return fake;
};

/** A secret source over a fixed string, counting reads. */
export const fakeSecretSource = (value: string | (() => Promise<string>)) => {
  const source = {
    name: 'test-secret',
    reads: 0,
    read: async () => {
      source.reads += 1;
      return typeof value === 'string' ? value : value();
    },
  } satisfies SecretSource & { reads: number };
  return source;
};

/** A JWT-shaped token for a device, unsigned, expiring at `exp` (seconds). */
export const fakeVisualToken = (device: DeviceKey, exp: number): string => {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub: `${device.productKey}#${device.deviceName}`, exp })}.sig`;
};

/** Options of {@link fakeLoginClient}. */
export interface FakeLoginOptions {
  /** Clock used to compute token expiry, epoch ms. */
  readonly now?: () => number;
  /** Token lifetime, seconds. */
  readonly lifetimeSeconds?: number;
  /** Devices that get no token. */
  readonly missing?: readonly string[];
  /** Makes every login fail with this error. */
  readonly fail?: () => Error;
  /** Holds logins until released, to test concurrency. */
  readonly gate?: Promise<void>;
}

/** A login client that issues tokens and records every call. */
export const fakeLoginClient = (options: FakeLoginOptions = {}) => {
  const now = options.now ?? Date.now;
  const calls: string[][] = [];
  const client: LoginClient & { calls: string[][] } = {
    calls,
    async login(_credentials, devices) {
      calls.push(devices.map(deviceId));
      await options.gate;
      if (options.fail) throw options.fail();
      const exp = Math.floor(now() / 1000) + (options.lifetimeSeconds ?? 3600);
      return devices
        .filter((d) => !(options.missing ?? []).includes(deviceId(d)))
        .map(
          (device): UpstreamToken => ({
            device,
            visualToken: fakeVisualToken(device, exp),
            expire: 3600,
          }),
        );
    },
  };
  return client;
};

/** A logger that keeps every line, for assertions. */
export const captureLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: 'debug', write: (line) => lines.push(line) }), {
    lines,
  });
};
