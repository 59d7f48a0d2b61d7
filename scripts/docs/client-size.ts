/**
 * The browser client's size in docs/api.md, measured rather than typed: the
 * client built as `npm run build:client` builds it, minus the source map.
 * Bytes are deterministic for a given lockfile, so the generated-docs test
 * fails as soon as a change to the client moves them.
 */
import { measureClient } from '../build-client.ts';

const bytes = (n: number) => n.toLocaleString('en-US');

/** The size sentence of docs/api.md's browser client section. */
export function renderClientSize(): string {
  const { minified, gzipped } = measureClient();
  return [
    `Size: ${bytes(minified)} bytes minified, ${bytes(gzipped)} gzipped (zlib's default level),`,
    'measured by `npm run docs` on the bundle `npm run build:client` writes, minus the source map',
    '(`CLIENT_BUILD_OPTIONS` in `scripts/build-client.ts`).',
  ].join('\n');
}
