/**
 * The fleet section of `npm run bench` (issue 13): K local containers
 * (`npm run fleet`'s processes, one request at a time each) sharing one
 * upstream simulator with a realistic login latency, with the token store
 * on dynalite and without it. Run alone with `BENCH_ONLY=fleet npm run bench`.
 */
import { issueDevToken } from '../functions/local/dev-issuer.ts';
import { type Fleet, type FleetContainer, startFleet } from '../functions/local/fleet.ts';
import { median, quantile } from './stats.ts';

/** Containers. */
export const FLEET_K = 4;
/** Devices each container asks for. */
export const FLEET_D = 24;
/** Latency the simulator adds to every login, ms: a cross-region gateway login. */
export const UPSTREAM_LATENCY_MS = 100;
/** Latency samples per kind. */
const SAMPLES = 60;
/** Fresh containers started per store setting. */
const COLD_ROUNDS = 5;

/** p50 and p99 of one kind of request, ms. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
}

/** Figures of one fleet (store on or off). */
export interface FleetFigures {
  readonly store: boolean;
  /** Logins at the simulator for K containers × D devices. */
  readonly gridLogins: number;
  /** Request latency by kind: `login`, `l2` (store on only), `l1`. */
  readonly latency: Record<string, Latency>;
  /** Fresh container, process start to its first token, ms (median), and its ready part. */
  readonly coldFirstTokenMs: number;
  readonly coldReadyMs: number;
  /** Logins the fresh containers made for a device already fetched. */
  readonly coldLogins: number;
}

const summarise = (values: number[]): Latency => ({
  p50: quantile(values, 0.5),
  p99: quantile(values, 0.99),
  n: values.length,
});

async function measureOne(store: boolean, bearer: string): Promise<FleetFigures> {
  const fleet: Fleet = await startFleet({
    containers: FLEET_K,
    port: 0,
    store,
    upstreamLatencyMs: UPSTREAM_LATENCY_MS,
  });
  const ask = async (c: FleetContainer, deviceName: string) => {
    const t0 = performance.now();
    const response = await fetch(`${c.url}/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer },
      body: JSON.stringify({ devices: [{ productKey: 'pkBenchFleet', deviceName }] }),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${c.name} answered ${response.status}`);
    return performance.now() - t0;
  };
  try {
    const containers = [...fleet.containers];
    const at = (i: number) => containers[i % containers.length] as FleetContainer;
    // K × D: each container asks for every device, one at a time, all containers at once.
    const before = fleet.simulator.logins.length;
    await Promise.all(
      containers.map(async (c, k) => {
        for (let i = 0; i < FLEET_D; i += 1) await ask(c, `grid${(i + k * 6) % FLEET_D}`);
      }),
    );
    const gridLogins = fleet.simulator.logins.length - before;
    // Latencies: a login at one container, then the same device at the next (L2), then again (L1).
    const samples: Record<string, number[]> = { login: [], l2: [], l1: [] };
    for (let n = 0; n < SAMPLES; n += 1) {
      samples.login?.push(await ask(at(n), `lat${n}`));
      if (store) samples.l2?.push(await ask(at(n + 1), `lat${n}`));
      else await ask(at(n + 1), `lat${n}`);
      samples.l1?.push(await ask(at(n + 1), `lat${n}`));
    }
    // Fresh containers whose device another container already fetched.
    const firstToken: number[] = [];
    const ready: number[] = [];
    const coldBefore = fleet.simulator.logins.length;
    for (let round = 0; round < COLD_ROUNDS; round += 1) {
      const t0 = performance.now();
      const fresh = await fleet.addContainer();
      await ask(fresh, `grid${round}`);
      firstToken.push(performance.now() - t0);
      ready.push(fresh.startMs);
      await fresh.stop();
    }
    return {
      store,
      gridLogins,
      latency: Object.fromEntries(
        Object.entries(samples)
          .filter(([, v]) => v.length > 0)
          .map(([k, v]) => [k, summarise(v)]),
      ),
      coldFirstTokenMs: median(firstToken),
      coldReadyMs: median(ready),
      coldLogins: fleet.simulator.logins.length - coldBefore,
    };
  } finally {
    await fleet.close();
  }
}

/** Measures the fleet with the store, then without it. */
export async function measureFleet(
  log: (line: string) => void = () => {},
): Promise<FleetFigures[]> {
  const bearer = `Bearer ${await issueDevToken()}`;
  const results: FleetFigures[] = [];
  for (const store of [true, false]) {
    log(`fleet: ${FLEET_K} containers × ${FLEET_D} devices, store ${store ? 'on' : 'off'}`);
    results.push(await measureOne(store, bearer));
  }
  return results;
}

/** The section of the bench report. */
export function fleetTable(results: readonly FleetFigures[]): string[] {
  const on = results.find((r) => r.store);
  const off = results.find((r) => !r.store);
  const f1 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));
  const row = (name: string, l: Latency | undefined) =>
    `| ${name} | ${f1(l?.p50)} | ${f1(l?.p99)} | ${l?.n ?? 0} |`;
  return [
    `**Fleet** (\`BENCH_ONLY=fleet npm run bench\`): ${FLEET_K} local containers (\`npm run fleet\` processes, one request at a time each), one shared upstream simulator answering each login after ${UPSTREAM_LATENCY_MS} ms, store on an embedded dynalite`,
    '',
    '| scenario | store on | store off (TOKEN_TABLE unset) |',
    '| --- | ---: | ---: |',
    `| logins for ${FLEET_K} containers × ${FLEET_D} devices | ${on?.gridLogins} | ${off?.gridLogins} |`,
    `| fresh container, device already fetched: logins over ${COLD_ROUNDS} containers | ${on?.coldLogins} | ${off?.coldLogins} |`,
    `| fresh container, process start to first token, ms (median of ${COLD_ROUNDS}) | ${f1(on?.coldFirstTokenMs)} | ${f1(off?.coldFirstTokenMs)} |`,
    `| … of which process start to ready line, ms | ${f1(on?.coldReadyMs)} | ${f1(off?.coldReadyMs)} |`,
    '',
    'Single-device `POST /tokens` to one container over loopback HTTP, ms:',
    '',
    '| request | p50 | p99 | n |',
    '| --- | ---: | ---: | ---: |',
    row('L1 hit (store on)', on?.latency.l1),
    row('L2 hit: another container fetched it', on?.latency.l2),
    row('miss, store on: lease, upstream login, write', on?.latency.login),
    row('miss, store off: upstream login', off?.latency.login),
  ];
}
