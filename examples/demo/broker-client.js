/**
 * The one place the demo talks to the broker. A typed browser client will
 * replace this function; the rest of the page only renders what it returns.
 *
 * @param {string} brokerUrl Base URL of the broker, e.g. http://127.0.0.1:3000
 * @param {string} bearerToken A JWT from the identity provider (locally: npm run dev-token)
 * @param {{productKey: string, deviceName: string}[]} devices The devices asked for
 * @returns {Promise<{status: number, body: any}>} Any HTTP answer the browser lets the page read.
 * @throws {TypeError} When the browser blocks the response (CORS) or the network fails.
 */
export async function requestTokens(brokerUrl, bearerToken, devices) {
  const response = await fetch(`${brokerUrl.replace(/\/+$/, '')}/tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bearerToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ devices }),
    // Tokens are short-lived and per caller: never from the HTTP cache, never with cookies.
    cache: 'no-store',
    credentials: 'omit',
  });
  return { status: response.status, body: await response.json() };
}
