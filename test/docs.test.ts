// The README and docs/ as one set of pages: every docs/ page is reachable from the README, and every relative link
// (and its #anchor) lands on a file and heading that exist, so moving a section cannot leave a dead link behind.
// The same for the sections src/ names in its messages and comments (`see docs/security.md "Limits"`).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dirname, join, relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const PAGES = ['README.md', ...readdirSync(join(REPO, 'docs')).map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));

/** GitHub's heading anchor: lowercase, punctuation other than `-` and `_` dropped, each space a `-`. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Markdown outside fenced code blocks and inline code, where links live. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(REPO, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

function links(file: string): Array<{ target: string; anchor: string | undefined }> {
  const text = prose(readFileSync(join(REPO, file), 'utf8'));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path, anchor] = href.split('#');
      const target = path === '' ? file : relative(REPO, join(dirname(join(REPO, file)), path!));
      return { target, anchor };
    });
}

/** Each `docs/<page>.md "Section"` (or `README "Section"`) in src/, messages and comments, wrapped lines joined. */
function sourceCitations(): Array<{ file: string; page: string; section: string }> {
  const src = join(REPO, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((file) => {
    const text = readFileSync(join(src, file), 'utf8').replace(/\s*\n\s*(?:\/\/|\*)?\s*/g, ' ');
    return [...text.matchAll(/\b(README|docs\/[a-z-]+\.md),? "([^"]+)"/g)].map((m) => ({
      file: `src/${file}`,
      page: m[1] === 'README' ? 'README.md' : m[1]!,
      section: m[2]!,
    }));
  });
}

describe('docs', () => {
  it('makes GitHub anchors of headings', () => {
    assert.equal(slug("containerd's config.toml"), 'containerds-configtoml');
    assert.equal(slug('One mirror for every registry: `_default`'), 'one-mirror-for-every-registry-_default');
    assert.equal(
      slug('Host mode: the agent on the node, its config from the cluster'),
      'host-mode-the-agent-on-the-node-its-config-from-the-cluster',
    );
  });

  it('links every docs/ page from the README', () => {
    const fromReadme = new Set(links('README.md').map((l) => l.target));
    for (const page of PAGES.filter((p) => p.startsWith('docs/'))) assert.ok(fromReadme.has(page), `README.md does not link ${page}`);
  });

  it('every relative link lands on a file, and every #anchor on a heading of it', () => {
    for (const page of PAGES) {
      for (const { target, anchor } of links(page)) {
        assert.ok(existsSync(join(REPO, target)), `${page}: ${target} does not exist`);
        if (anchor !== undefined && target.endsWith('.md'))
          assert.ok(anchors(target).has(anchor), `${page}: ${target} has no heading for #${anchor}`);
      }
    }
  });

  it('every section src/ names (page and heading) is a heading of that page', () => {
    const cited = sourceCitations();
    assert.ok(cited.length >= 10, `only ${cited.length} citations found`);
    const dead = cited.filter(({ page, section }) => !existsSync(join(REPO, page)) || !anchors(page).has(slug(section)));
    assert.deepEqual(
      dead.map(({ file, page, section }) => `${file}: ${page} "${section}"`),
      [],
    );
  });

  it('keeps the sections issues and messages refer to: "Trust and limits", "Limits" (docs/security.md)', () => {
    assert.ok(anchors('docs/security.md').has('trust-and-limits'));
    assert.ok(anchors('docs/security.md').has('limits'));
    assert.match(readFileSync(join(REPO, 'README.md'), 'utf8'), /Trust and limits\]\(docs\/security\.md#trust-and-limits\)/);
  });
});
