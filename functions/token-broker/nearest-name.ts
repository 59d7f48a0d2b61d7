/**
 * "Did you mean …?" for a name that is not a setting: the CDK context check
 * (infra/stack-context.ts) and the environment check at start (config.ts)
 * share it, so a typo is caught the same way wherever a setting is given.
 * Pure: no AWS, no process.env.
 */

/** Case and separators do not count: `upstreamURL`, `UPSTREAM_URL` and `upstream-url` are one name. */
const fold = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/**
 * The known name that `name` most likely misspells: the same name in another
 * case or with other separators, or one at most two edits (Levenshtein:
 * insertions, deletions, substitutions) away, one for names under eight
 * letters, so that `HOST` is not taken for `PORT`.
 * @returns undefined when nothing is that close, or when `name` is known.
 * @example
 * nearestName('MAX_DEVICE_PER_REQUEST', ['MAX_DEVICES_PER_REQUEST']); // 'MAX_DEVICES_PER_REQUEST'
 * nearestName('upstreamURL', ['upstreamUrl']); // 'upstreamUrl'
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const a = fold(name);
  const length = [...a].length;
  let best: string | undefined;
  let within = Math.min(2, a.length >> 2);
  for (const candidate of known) {
    if (candidate === name) return undefined;
    const b = [...fold(candidate)];
    // The distance is at least the difference in length: most names are
    // skipped here, which keeps the Lambda's init check to a millisecond or two.
    if (Math.abs(b.length - length) > within) continue;
    // The distance table, one row at a time: row[j] is the distance of a's prefix to b's first j.
    let row = [...b.keys(), b.length];
    for (const char of a) {
      const next = [(row[0] as number) + 1];
      b.forEach((other, j) => {
        next.push(
          Math.min(
            (row[j + 1] as number) + 1,
            (next[j] as number) + 1,
            (row[j] as number) + (char === other ? 0 : 1),
          ),
        );
      });
      row = next;
    }
    const d = row[b.length] as number;
    if (d <= within) {
      best = candidate;
      within = d - 1;
    }
  }
  return best;
}
