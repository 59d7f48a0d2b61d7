/**
 * Waits for a spawned local server's ready line (`… ready on http://…`), the
 * one thing `npm run fleet` and the tests that spawn `npm start` both need
 * from its output.
 */
import type { ChildProcess } from 'node:child_process';

const READY = /ready on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Resolves to the URL of the ready line once the child prints it.
 * @param output - everything the child printed so far, read at each check
 * @throws Error with the output when the child exits first or `timeoutMs` passes.
 */
export function readyUrl(
  child: ChildProcess,
  output: () => string,
  name: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', exited);
    };
    const check = () => {
      const match = READY.exec(output());
      if (match?.[1]) {
        done();
        resolve(match[1]);
      }
    };
    const exited = (code: number | null) => {
      done();
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.stdout?.on('data', check);
    child.once('exit', exited);
    check();
  });
}
