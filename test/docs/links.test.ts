/**
 * The README and docs/ link to each other by relative paths and #anchors;
 * a page moved or a heading renamed must not leave a dead link behind, and
 * nothing may point outside the repository.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The markdown pages whose links are checked: README.md and docs/*.md. */
const pagesOf = (root: string): string[] => [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name)),
];

/** Text outside fenced code blocks, with inline code spans blanked out. */
const proseOf = (markdown: string): string[] => {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '``');
  });
};

/**
 * GitHub's heading anchors: lower case, inline markup dropped, anything but
 * letters, digits, spaces, `-` and `_` removed, spaces turned into `-`;
 * repeats get `-1`, `-2`….
 */
const anchorsOf = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const text = (heading[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
};

/** Every relative link in the pages whose file or anchor does not exist, as `page: target`. */
const brokenLinks = (root: string): string[] => {
  const broken: string[] = [];
  for (const page of pagesOf(root)) {
    const name = relative(root, page);
    for (const line of proseOf(readFileSync(page, 'utf8'))) {
      for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = match[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#', 2);
        const file = path === '' ? page : resolve(dirname(page), path);
        if (!file.startsWith(`${root}/`) || !existsSync(file)) {
          broken.push(`${name}: ${target}`);
        } else if (
          anchor !== undefined &&
          file.endsWith('.md') &&
          !anchorsOf(readFileSync(file, 'utf8')).has(anchor)
        ) {
          broken.push(`${name}: ${target}`);
        }
      }
    }
  }
  return broken;
};

describe('links in README.md and docs/', () => {
  it('resolve to an existing file and heading', () => {
    // Act
    const broken = brokenLinks(ROOT);
    // Assess
    expect(broken).toEqual([]);
  });

  it('never point outside the repository', () => {
    // Act
    const outside = pagesOf(ROOT).filter((page) =>
      /\.\.[/]shared|shared[/]upstream/.test(readFileSync(page, 'utf8')),
    );
    // Assess
    expect(outside.map((page) => relative(ROOT, page))).toEqual([]);
  });

  it('fails when a link names a missing file, a missing heading or a file outside the repository', () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
    try {
      const docs = join(root, 'docs');
      writeFileSync(join(root, 'README.md'), '# Top\n\n[ok](docs/a.md#the-a-page)\n');
      mkdirSync(docs);
      writeFileSync(
        join(docs, 'a.md'),
        [
          '# The `a` page',
          '',
          '[self](#the-a-page) [file](../README.md) [web](https://example.com/x.md)',
          '[gone](missing.md) [no heading](../README.md#nowhere) [out](../../elsewhere.md)',
          '`[in code](missing-too.md)`',
          '```',
          '[in a fence](missing-three.md)',
          '```',
        ].join('\n'),
      );
      // Act
      const broken = brokenLinks(root);
      // Assess
      expect(broken).toEqual([
        'docs/a.md: missing.md',
        'docs/a.md: ../README.md#nowhere',
        'docs/a.md: ../../elsewhere.md',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
