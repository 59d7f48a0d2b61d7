/** A device as the provider names it. */
export interface DeviceKey {
  /** Product key of the device. */
  readonly productKey: string;
  /** Device name within the product. */
  readonly deviceName: string;
}

/**
 * One string per device, `productKey/deviceName`. Unambiguous because a
 * product key is alphanumeric and so never holds a `/`.
 */
export function deviceId(device: DeviceKey): string {
  return `${device.productKey}/${device.deviceName}`;
}
