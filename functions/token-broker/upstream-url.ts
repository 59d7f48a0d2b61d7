/**
 * The rule for a URL the credentials are sent to, shared by the settings
 * (`UPSTREAM_URL`) and anything else that names an upstream gateway. Pure.
 */

import { InvalidSettingError } from './invalid-setting-error.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Credentials are sent to the upstream, so its URL must be https (plain http
 * only to loopback, for the local simulator), carry no user info and no
 * query string. Returns it without a trailing slash.
 * @throws InvalidSettingError with the message after the setting's name.
 */
export function parseUpstreamUrl(raw: string, allowLoopbackHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidSettingError('is not a valid URL');
  }
  // An IPv4 literal in 127/8 (URL has normalised it), not any name that
  // merely starts with "127.".
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowLoopbackHttp && loopback)) {
    throw new InvalidSettingError(
      `must use https:${allowLoopbackHttp ? ' (http: is allowed only to loopback)' : ''}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidSettingError('must not contain user info');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidSettingError('must not contain a query string or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
