/**
 * "Did you mean …?" for a name that is not a setting: the CDK context check
 * (infra/stack-context.ts) and the environment check at start (config.ts)
 * share it, so a typo is caught the same way wherever a setting is given.
 * Pure: no AWS, no process.env.
 */

/** Case and separators do not count: `upstreamURL`, `UPSTREAM_URL` and `upstream-url` are one name. */
const fold = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/**
 * The Levenshtein distance of `a` and `b` (insertions, deletions and
 * substitutions), one row of the table at a time.
 */
function distance(a: string, b: string): number {
  let row = [...Array(b.length + 1).keys()];
  for (const char of a) {
    const next = [(row[0] as number) + 1];
    for (let j = 0; j < b.length; j++) {
      next.push(
        Math.min(
          (row[j + 1] as number) + 1,
          (next[j] as number) + 1,
          (row[j] as number) + (char === b[j] ? 0 : 1),
        ),
      );
    }
    row = next;
  }
  return row[b.length] as number;
}

/**
 * The known name that `name` most likely misspells: the same name in another
 * case or with other separators, or one at most two edits away (one for
 * names under eight letters, so that `HOST` is not taken for `PORT`).
 * @returns undefined when nothing is that close, or when `name` is known.
 * @example
 * nearestName('MAX_DEVICE_PER_REQUEST', ['MAX_DEVICES_PER_REQUEST']); // 'MAX_DEVICES_PER_REQUEST'
 * nearestName('upstreamURL', ['upstreamUrl']); // 'upstreamUrl'
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const folded = fold(name);
  let best: string | undefined;
  let within = Math.min(2, folded.length >> 2);
  for (const candidate of known) {
    if (candidate === name) return undefined;
    const d = distance(folded, fold(candidate));
    if (d <= within) {
      best = candidate;
      within = d - 1;
    }
  }
  return best;
}
