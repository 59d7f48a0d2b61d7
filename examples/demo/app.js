import { requestTokens } from './broker-client.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
$('broker').value = params.get('broker') ?? 'http://127.0.0.1:3000';

/** `productKey/deviceName` per line or comma → device objects. */
const parseDevices = (text) =>
  text
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [productKey = '', deviceName = ''] = entry.split('/');
      return { productKey, deviceName };
    });

function show(state, message, tokens = []) {
  $('status').dataset.state = state;
  $('status').textContent = message;
  const rows = tokens.map((t) => {
    const row = document.createElement('tr');
    for (const value of [`${t.productKey}/${t.deviceName}`, t.expiresAt, t.visualToken]) {
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(cell);
    }
    return row;
  });
  $('tokens').tBodies[0].replaceChildren(...rows);
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  show('pending', 'Asking the broker…');
  try {
    const body = await requestTokens(
      $('broker').value,
      $('token').value.trim(),
      parseDevices($('devices').value),
    );
    $('result').textContent = JSON.stringify(body, null, 2);
    const failed = body.failures.length > 0 ? `, ${body.failures.length} failure(s)` : '';
    show('ok', `OK: ${body.tokens.length} token(s)${failed}`, body.tokens);
  } catch (error) {
    $('result').textContent = String(error);
    if (error.name === 'TokenBrokerHttpError' && error.code === 'FORBIDDEN_DEVICE') {
      const refused = error.devices.map((d) => `${d.productKey}/${d.deviceName}`).join(', ');
      show('refused', `Refused (${error.status} ${error.code}): ${refused}`);
    } else if (error.name === 'TokenBrokerHttpError' || error.code === 'INVALID_REQUEST') {
      show(
        'error',
        `Error (${error.status ?? 400} ${error.code}): ${error.detail ?? error.message}`,
      );
    } else {
      show(
        'blocked',
        'Blocked: the browser refused the response. Is this page’s origin in CORS_ALLOWED_ORIGINS, and is the broker running?',
      );
    }
  }
});
