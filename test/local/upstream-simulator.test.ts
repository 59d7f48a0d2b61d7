import { afterEach, describe, expect, it } from 'vitest';
import {
  CONTROL_PATH,
  parseSimulatorFault,
  startUpstreamSimulator,
  type UpstreamSimulator,
} from '../../functions/local/upstream-simulator.ts';
import { LOGIN_PATH } from '../../functions/token-broker/upstream/login-client.ts';

let simulator: UpstreamSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

describe('upstream simulator fault switches', () => {
  it('parses SIMULATOR_FAULT as kind or kind:times', () => {
    // Act / Assess
    expect(parseSimulatorFault('status-503')).toEqual({ kind: 'status-503' });
    expect(parseSimulatorFault('reset:2')).toEqual({ kind: 'reset', times: 2 });
  });

  it('fails when SIMULATOR_FAULT names an unknown fault, listing the valid ones', () => {
    // Act
    const attempt = () => parseSimulatorFault('explode');
    // Assess
    expect(attempt).toThrow(/unknown simulator fault "explode"; one of delay, status-500/);
  });

  it('switches a fault on and off through the control endpoint, for `npm start`', async () => {
    // Prepare
    simulator = await startUpstreamSimulator();
    const post = (path: string, body: unknown) =>
      fetch(`${simulator?.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    // Act
    const set = await post(CONTROL_PATH, { fault: 'status-503:1' });
    const faulty = await post(LOGIN_PATH, {});
    const healed = await post(LOGIN_PATH, {});
    // Assess
    expect(set.status).toBe(200);
    expect(faulty.status).toBe(503);
    expect(healed.status).toBe(401); // past the fault: the gateway wants its AppCode
  });
});
