/**
 * Headers that authenticate a request to the provider's Alibaba Cloud API
 * Gateway. Kept apart from the login client so signature mode can be added
 * without touching how the request is sent.
 */
import type { GatewayAuth } from '../credentials.ts';
import { ConfigurationError } from '../errors.ts';

/** The parts of an outgoing request that gateway authentication may cover. */
export interface OutgoingRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path and query of the request URL. */
  readonly pathAndQuery: string;
  /** Headers already set (Accept, Content-Type). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes that will be sent. */
  readonly body: Uint8Array;
}

/** Returns the headers to add for the given gateway authentication. */
export function gatewayAuthHeaders(
  auth: GatewayAuth,
  _request: OutgoingRequest,
): Record<string, string> {
  switch (auth.mode) {
    case 'none':
      return {};
    case 'appCode':
      return { Authorization: `APPCODE ${auth.appCode}` };
    case 'signature':
      throw new ConfigurationError(
        'Gateway signature mode (appKey/appSecret) is not supported yet',
      );
  }
}
