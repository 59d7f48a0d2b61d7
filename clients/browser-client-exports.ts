/**
 * The names `clients/browser-client.ts` exports besides the client itself:
 * the wire contract's types and codes a caller matches on, the client's
 * errors and its options. Kept apart so the client's file holds its logic.
 */
export {
  CLIENT_FAILURE_CODES,
  type ClientFailureCode,
  DEVICE_FAILURE_CODES,
  DEVICE_PATTERNS,
  type DeviceFailure,
  type DeviceFailureCode,
  type DeviceGrantsResult,
  type DeviceKey,
  ERROR_CODE,
  type ErrorCode,
  type IssuedToken,
  type Problem,
  RETRY_LATER_CODES,
  type TokenRequest,
  type TokenResult,
} from '../functions/token-broker/contract.ts';
export { TokenBrokerError, TokenBrokerHttpError } from './browser-client-errors.ts';
export type {
  BrokerCallOptions,
  BrowserTokenClientOptions,
  GetTokensOptions,
  ListDevicesOptions,
} from './browser-client-options.ts';
