/**
 * The one place the demo talks to the broker, through the typed browser
 * client (clients/browser-client.ts, served here as /browser-client.js).
 * One client per bearer token: its cache belongs to one caller.
 */
import { BrowserTokenClient } from './browser-client.js';

const clients = new Map();

/**
 * @param {string} brokerUrl Base URL of the broker, e.g. http://127.0.0.1:3000
 * @param {string} bearerToken A JWT from the identity provider (locally: npm run dev-token)
 * @param {{productKey: string, deviceName: string}[]} devices The devices asked for
 * @returns {Promise<{tokens: object[], failures: object[]}>}
 * @throws {import('./browser-client.js').TokenBrokerHttpError} when the broker answers an error;
 *   a TokenBrokerError with code NETWORK_ERROR when the browser blocks the response (CORS).
 */
export function requestTokens(brokerUrl, bearerToken, devices) {
  const key = `${brokerUrl}\n${bearerToken}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new BrowserTokenClient({ baseUrl: brokerUrl, getBearerToken: () => bearerToken });
    clients.set(key, client);
  }
  return client.getTokens(devices);
}
