// ARCHITECTURE.md stays true: every room and ground-floor file of src/ is named there, and every test it cites
// as the proof of an invariant exists under that title. A rename that forgets the page fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
// Markdown wraps long names: read the page as one line.
const PAGE = readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8').replace(/\s*\n\s*/g, ' ');

/** `test/x.ts › title` and `› title` (same file as the one before) in backticks. */
function citations(): Array<{ file: string; title: string }> {
  const out: Array<{ file: string; title: string }> = [];
  let file = '';
  for (const m of PAGE.matchAll(/`(test\/[^`\s]+\.ts)? ?› ([^`]+)`/g)) {
    file = m[1] ?? file;
    out.push({ file, title: m[2] ?? '' });
  }
  return out;
}

describe('ARCHITECTURE.md', () => {
  it('names every room and every ground-floor file of src/', () => {
    const entries = readdirSync(join(REPO, 'src'), { withFileTypes: true });
    const names = entries.map((e) => (e.isDirectory() ? `\`${e.name}/\`` : `\`${e.name}\``));
    assert.deepEqual(
      names.filter((n) => !PAGE.includes(n)),
      [],
    );
  });

  it('cites tests that exist, by their titles', () => {
    const cited = citations();
    assert.ok(cited.length >= 15, `only ${cited.length} citations found`);
    const missing: string[] = [];
    for (const { file, title } of cited) {
      const path = join(REPO, file);
      const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      // Placeholders stand for values the title interpolates (N, <case>) or text left out (…).
      const fragments = title
        .split(/…|<case>|\bN\b/)
        .map((f) => f.trim().replace(/^[:,]\s*|[,:]$/g, ''))
        .filter((f) => f.length >= 8);
      for (const fragment of fragments) if (!text.includes(fragment)) missing.push(`${file} › ${fragment}`);
    }
    assert.deepEqual(missing, []);
  });
});
