/** The audit line's device lists (issue 17), which reuse the requested list when a part is all of it. */
import { describe, expect, it } from 'vitest';
import { grantedVia, idList, idListOf } from '../../functions/token-broker/audit.ts';
import { parseGrants } from '../../functions/token-broker/scope.ts';

const devices = [
  { productKey: 'pk', deviceName: 'cam1' },
  { productKey: 'pk', deviceName: 'cam2' },
  { productKey: 'pk2', deviceName: 'cam1' },
];
const requested = idList(devices);

describe('idListOf', () => {
  it('reuses the requested text only when the part holds every device', () => {
    // Prepare
    const marker = 'the requested text';
    // Act
    const all = idListOf([...devices], devices, marker);
    const reordered = idListOf(
      [devices[2], devices[0], devices[1]] as typeof devices,
      devices,
      marker,
    );
    const fewer = idListOf(devices.slice(1), devices, marker);
    const none = idListOf([], devices, marker);
    // Assess
    expect(all).toBe(marker);
    expect(reordered).toBe(marker);
    expect(fewer).toBe('pk/cam2,pk2/cam1');
    expect(none).toBe('');
  });
});

describe('grantedVia', () => {
  it('names, per source, the requested devices it covers', () => {
    // Prepare
    const claim = parseGrants('pk/*');
    const directory = parseGrants('pk/cam2 pk2/cam1');
    const grants = { ...claim, sources: { claim, directory } };
    // Act
    const via = grantedVia(grants, devices, requested);
    const claimOnly = grantedVia(parseGrants('*'), devices, requested);
    const none = grantedVia(undefined, devices, requested);
    // Assess
    expect(via).toEqual({ viaClaim: 'pk/cam1,pk/cam2', viaDirectory: 'pk/cam2,pk2/cam1' });
    expect(claimOnly).toEqual({ viaClaim: requested, viaDirectory: '' });
    expect(none).toEqual({ viaClaim: '', viaDirectory: '' });
  });
});
