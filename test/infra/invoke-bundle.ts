/**
 * Child process of the bundle test: loads a bundled handler from the path in
 * argv[2], as the Lambda runtime would (a fresh process, its own env), sends
 * one direct-invoke event read from argv[3], and prints the outcome as JSON.
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../support/events.ts';

const [bundlePath, eventJson] = process.argv.slice(2);
if (bundlePath === undefined || eventJson === undefined) {
  throw new Error('usage: invoke-bundle.ts <bundle.mjs> <event-json>');
}
const mod = (await import(pathToFileURL(bundlePath).href)) as {
  handler: (event: unknown, context: unknown) => Promise<unknown>;
};
try {
  const result = await mod.handler(JSON.parse(eventJson), lambdaContext());
  process.stdout.write(`${JSON.stringify({ outcome: 'returned', result })}\n`);
} catch (error) {
  const e = error as Error;
  process.stdout.write(
    `${JSON.stringify({ outcome: 'threw', name: e.name, message: e.message })}\n`,
  );
}
