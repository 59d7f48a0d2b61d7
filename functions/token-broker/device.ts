/**
 * The device vocabulary, kept as its own module for the server's imports;
 * defined once in the wire contract, which the clients share.
 */
export { type DeviceKey, deviceId } from './contract.ts';
