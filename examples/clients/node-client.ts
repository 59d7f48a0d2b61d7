/**
 * The browser client from Node, against `npm start`:
 *   node_modules/.bin/node examples/clients/node-client.ts
 * In a browser, `getBearerToken` returns the JWT the broker's authorizer takes: with the
 * stack's Cognito user pool, the ID token (it carries custom:devices).
 */
import { BrowserTokenClient, TokenBrokerHttpError } from '../../clients/browser-client.ts';
import { issueDevToken } from '../../functions/local/dev-issuer.ts';

const client = new BrowserTokenClient({
  baseUrl: process.env.BROKER_URL ?? 'http://127.0.0.1:3000',
  getBearerToken: () => issueDevToken(),
});

try {
  // Asked for in the same tick: one request, both devices.
  const [one, two] = await Promise.all([
    client.getTokens([{ productKey: 'wkNCAsnnlsYSnI6n', deviceName: '2ac4d7cffa' }]),
    client.getTokens([{ productKey: 'pk2', deviceName: 'cam-2' }]),
  ]);
  for (const t of [...one.tokens, ...two.tokens]) {
    console.log(`${t.productKey}/${t.deviceName}: token valid for ${t.expiresIn}s`);
  }
} catch (error) {
  if (!(error instanceof TokenBrokerHttpError)) throw error;
  console.error(`${error.status} ${error.code}: ${error.detail}`);
  process.exitCode = 1;
}
