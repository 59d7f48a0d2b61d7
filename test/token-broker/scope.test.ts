import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type DeviceKey, deviceId } from '../../functions/token-broker/device.ts';
import {
  ForbiddenDeviceError,
  GrantsUnavailableError,
} from '../../functions/token-broker/errors.ts';
import {
  DIRECT_INVOKE_GRANTS,
  enforceScope,
  type Grants,
  isGranted,
  listedGrants,
  NO_GRANTS,
  parseGrants,
  refusedDevices,
} from '../../functions/token-broker/scope.ts';

const d = (productKey: string, deviceName: string): DeviceKey => ({ productKey, deviceName });

describe('parseGrants', () => {
  it.each([
    ['a JSON array', ['pkA/*', 'pkB/dev1']],
    ['a comma-separated string', 'pkA/*,pkB/dev1'],
    ['a space-separated string', 'pkA/*  pkB/dev1'],
    ['a mixed string', ' pkA/*, pkB/dev1 '],
    ['the HTTP API authorizer flattening [a b]', '[pkA/* pkB/dev1]'],
    ['a JSON array inside a string', '["pkA/*","pkB/dev1"]'],
  ])('reads %s', (_name, claim) => {
    // Act
    const grants = parseGrants(claim);
    // Assess
    expect(grants.all).toBe(false);
    expect([...grants.products]).toEqual(['pkA']);
    expect([...grants.devices]).toEqual(['pkB/dev1']);
  });

  it('reads * as every device', () => {
    // Act
    const grants = parseGrants('*');
    // Assess
    expect(grants.all).toBe(true);
    expect(isGranted(grants, d('anyPk', 'anyDevice'))).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['a number', 42],
    ['an object', { devices: '*' }],
    ['an empty array', []],
    ['the flattened empty array', '[]'],
    ['an array of blank entries', ['', '  ']],
    ['separators only', ' , ,, '],
  ])('grants nothing when the claim is %s, and ignores no entry', (_name, claim) => {
    // Act
    const grants = parseGrants(claim);
    // Assess
    expect(grants).toEqual({ all: false, products: new Set(), devices: new Set(), ignored: 0 });
    expect(isGranted(grants, d('pkA', 'dev1'))).toBe(false);
  });

  it('trims the claim and each array entry', () => {
    // Act
    const flattened = parseGrants('  [pkA/* pkB/dev1]  ');
    const array = parseGrants([' pkA/* ', '\tpkB/dev1\n']);
    // Assess
    for (const grants of [flattened, array]) {
      expect(grants).toEqual({
        all: false,
        products: new Set(['pkA']),
        devices: new Set(['pkB/dev1']),
        ignored: 0,
      });
    }
  });

  it.each([
    ['an opening bracket alone', '[pkA/dev1'],
    ['a closing bracket alone', 'pkA/dev1]'],
  ])('fails to read %s as the flattened form: the entry is malformed', (_name, claim) => {
    // Act
    const grants = parseGrants(claim);
    // Assess
    expect(grants).toEqual({ all: false, products: new Set(), devices: new Set(), ignored: 1 });
  });

  it('ignores malformed entries and counts them, keeping the valid ones', () => {
    // Act
    const grants = parseGrants([
      'pk-A/dev1',
      'pkA',
      'pkA/',
      '/dev1',
      'pkA/de v1',
      '**',
      7,
      'pkB/d1',
    ]);
    // Assess
    expect(grants.all).toBe(false);
    expect([...grants.devices]).toEqual(['pkB/d1']);
    expect(grants.ignored).toBe(7);
  });

  it('does not read a product wildcard as every device, nor a device grant as its product', () => {
    // Prepare
    const grants = parseGrants('pkA/*,pkB/dev1');
    // Act
    const refused = refusedDevices(
      [d('pkA', 'x'), d('pkB', 'dev1'), d('pkB', 'dev2'), d('pkC', 'dev1')],
      grants,
      undefined,
    );
    // Assess
    expect(refused.map(deviceId)).toEqual(['pkB/dev2', 'pkC/dev1']);
  });
});

describe('enforceScope', () => {
  it('fails when a caller has no grants, listing every device', () => {
    // Act
    const act = () => enforceScope([d('pkA', 'dev1'), d('pkB', 'dev2')], NO_GRANTS, undefined);
    // Assess
    expect(act).toThrow(ForbiddenDeviceError);
    expect(act).toThrow('pkA/dev1, pkB/dev2');
  });

  it('fails when a direct invoker asks for a product outside ALLOWED_PRODUCT_KEYS', () => {
    // Act
    const act = () =>
      enforceScope([d('pkA', 'dev1'), d('pkZ', 'dev2')], DIRECT_INVOKE_GRANTS, ['pkA']);
    // Assess
    expect(act).toThrow(ForbiddenDeviceError);
    try {
      act();
    } catch (error) {
      expect((error as ForbiddenDeviceError).devices).toEqual([d('pkZ', 'dev2')]);
    }
  });

  it('fails when even a * grant names a product outside ALLOWED_PRODUCT_KEYS', () => {
    // Act
    const refused = refusedDevices([d('pkA', 'dev1'), d('pkB', 'dev1')], parseGrants('*'), ['pkB']);
    // Assess
    expect(refused).toEqual([d('pkA', 'dev1')]);
  });

  it('lets a request through when every device is granted and allowed', () => {
    // Act
    const act = () =>
      enforceScope([d('pkA', 'dev1'), d('pkB', 'dev1')], parseGrants('pkA/*,pkB/dev1'), [
        'pkA',
        'pkB',
      ]);
    // Assess
    expect(act).not.toThrow();
  });
});

describe('enforceScope with grants a source could not be read for', () => {
  const unavailable = new GrantsUnavailableError('the grants directory did not answer', 5);
  const partial: Grants = { ...parseGrants('pkA/dev1'), unavailable };

  it('fails when a device the partial grants do not cover is asked for, with the 503 error', () => {
    // Act
    const act = () => enforceScope([d('pkA', 'dev1'), d('pkB', 'dev1')], partial, ['pkA', 'pkB']);
    // Assess
    expect(act).toThrow(unavailable);
  });

  it('fails when a device is not covered and there is no allowlist, with the 503 error', () => {
    // Act
    const act = () => enforceScope([d('pkB', 'dev1')], partial, undefined);
    // Assess
    expect(act).toThrow(unavailable);
  });

  it('fails when one refused device is outside ALLOWED_PRODUCT_KEYS, with a lasting 403', () => {
    // Act
    const act = () => enforceScope([d('pkB', 'dev1'), d('pkZ', 'dev1')], partial, ['pkA', 'pkB']);
    // Assess
    expect(act).toThrow(ForbiddenDeviceError);
    expect(act).toThrow('pkB/dev1, pkZ/dev1');
  });

  it('lets a request through when the partial grants cover every device', () => {
    // Act
    const act = () => enforceScope([d('pkA', 'dev1')], partial, ['pkA']);
    // Assess
    expect(act).not.toThrow();
  });
});

describe('listedGrants', () => {
  it('fails when a source of the grants could not be read', () => {
    // Prepare
    const unavailable = new GrantsUnavailableError('the grants directory did not answer', 5);
    // Act
    const act = () => listedGrants({ ...parseGrants('pkA/*'), unavailable }, undefined);
    // Assess
    expect(act).toThrow(unavailable);
  });

  it('lists products and devices sorted, leaving out devices their product already covers', () => {
    // Prepare
    const grants = parseGrants('pkC/dev2,pkB/*,pkC/dev1,pkA/*,pkA/dev1');
    // Act
    const listed = listedGrants(grants, undefined);
    // Assess
    expect(listed).toEqual({
      all: false,
      products: ['pkA', 'pkB'],
      devices: [d('pkC', 'dev1'), d('pkC', 'dev2')],
    });
  });

  it('lists only what ALLOWED_PRODUCT_KEYS allows', () => {
    // Prepare
    const grants = parseGrants('pkB/*,pkZ/*,pkA/*,pkC/dev1,pkY/dev1,pkA/dev1');
    // Act
    const listed = listedGrants(grants, ['pkC', 'pkB', 'pkA']);
    // Assess
    expect(listed).toEqual({ all: false, products: ['pkA', 'pkB'], devices: [d('pkC', 'dev1')] });
  });

  it('lists * as every device when there is no allowlist', () => {
    // Prepare
    const grants = parseGrants('*,pkA/*,pkB/dev1');
    // Act
    const listed = listedGrants(grants, undefined);
    // Assess
    expect(listed).toEqual({ all: true, products: ['pkA'], devices: [d('pkB', 'dev1')] });
  });

  it('lists * under an allowlist as exactly the allowed products, sorted', () => {
    // Prepare
    const grants = parseGrants('*,pkZ/*,pkA/dev1,pkY/dev1');
    // Act
    const listed = listedGrants(grants, ['pkB', 'pkA']);
    // Assess
    expect(listed).toEqual({ all: false, products: ['pkA', 'pkB'], devices: [] });
  });
});

// Small alphabets so that random grants and requests overlap often.
// Keys that are prefixes of each other, so that a grant matched by prefix is caught.
const productKey = fc.constantFrom('pk', 'pk2', 'pkA', 'pkAB', 'pkB', 'pkC');
const deviceName = fc.constantFrom('dev1', 'dev10', 'dev2', 'dev3');
const device = fc.record({ productKey, deviceName });
const grantEntry = fc.oneof(
  fc.constant('*'),
  productKey.map((pk) => `${pk}/*`),
  device.map(deviceId),
  fc.constantFrom('bad entry', 'pk-x/dev1', 'pkA/', ''),
);
const claim = fc.oneof(
  fc.array(grantEntry, { maxLength: 5 }),
  fc.array(grantEntry, { maxLength: 5 }).map((entries) => entries.join(',')),
  fc.array(grantEntry, { maxLength: 5 }).map((entries) => `[${entries.join(' ')}]`),
);
const allowlist = fc.option(fc.uniqueArray(productKey, { minLength: 1 }), { nil: undefined });
const request = fc.uniqueArray(device, { minLength: 1, maxLength: 6, selector: deviceId });

/** Whether `device` is covered by the raw entries, computed independently of scope.ts. */
const covered = (
  entries: readonly string[],
  dev: DeviceKey,
  allowed: readonly string[] | undefined,
) =>
  (allowed === undefined || allowed.includes(dev.productKey)) &&
  entries.some((e) => e === '*' || e === `${dev.productKey}/*` || e === deviceId(dev));

const entriesOf = (value: string | string[]) =>
  Array.isArray(value) ? value : value.replace(/^\[|\]$/g, '').split(/[\s,]+/);

describe('grants whose keys are prefixes of other keys', () => {
  it.each([
    ['pk/*', d('pk2', 'x')],
    ['pk/*', d('pkA', 'dev1')],
    ['pkA/*', d('pkAB', 'dev1')],
    ['pkA/dev1', d('pkA', 'dev10')],
    ['pkA/dev1', d('pkAB', 'dev1')],
    ['pk2/*', d('pk', 'x')],
  ])('fails when the grant %s is asked for %j: a prefix grants nothing', (claim, device) => {
    // Act
    const grants = parseGrants(claim);
    // Assess
    expect(isGranted(grants, device)).toBe(false);
    expect(refusedDevices([device], grants, undefined)).toEqual([device]);
  });

  it('grants pk/* every device of pk, and pk2/* those of pk2 only', () => {
    // Act
    const grants = parseGrants('pk/*');
    // Assess
    expect(isGranted(grants, d('pk', 'x'))).toBe(true);
    expect(isGranted(grants, d('pk2', 'x'))).toBe(false);
  });

  it('fails when the allowlist holds a prefix of the requested product key', () => {
    // Act
    const refused = refusedDevices([d('pk2', 'x')], parseGrants('*'), ['pk']);
    // Assess
    expect(refused).toEqual([d('pk2', 'x')]);
  });
});

describe('scope properties', () => {
  test.prop([claim, allowlist, request])(
    'refuses exactly the devices the grants and the allowlist do not cover',
    (rawClaim, allowed, devices) => {
      // Act
      const refused = refusedDevices(devices, parseGrants(rawClaim), allowed).map(deviceId);
      // Assess
      const expected = devices
        .filter((dev) => !covered(entriesOf(rawClaim), dev, allowed))
        .map(deviceId);
      expect(refused).toEqual(expected);
    },
  );
});
