// ARCHITECTURE.md stays true: every room and ground-floor file of src/ is named there, its floor plan says
// exactly what the sources import, every source file opens with its job, and every test the page cites as the
// proof of an invariant exists under that title. A rename or a new import that forgets the page fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GROUND, REPO, SRC, drawnFloors, importGraph, measuredImports } from './house-map.js';

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

  it('draws the floor plan as measured: each row names exactly the rooms and ground-floor files imported', () => {
    const drawn = drawnFloors();
    const measured = measuredImports();
    assert.deepEqual([...drawn.keys()].sort(), [...measured.keys()].sort(), 'one row per room, and one for the ground floor');
    const wrong: string[] = [];
    for (const [room, { rooms, ground }] of measured) {
      const row = drawn.get(room);
      if (row === undefined) continue;
      const say = (what: string, listed: string[], real: string[]): void => {
        const extra = listed.filter((x) => !real.includes(x));
        const missing = real.filter((x) => !listed.includes(x));
        if (extra.length + missing.length > 0)
          wrong.push(`${room} ${what}: drawn but not imported [${extra.join(', ')}], imported but not drawn [${missing.join(', ')}]`);
      };
      say('rooms', row.rooms, rooms);
      say('ground-floor files', row.ground, ground);
    }
    assert.deepEqual(wrong, []);
    assert.equal(drawn.get(GROUND)?.floor, 0);
  });

  it('opens every source file with a comment saying its job', () => {
    const silent = [...importGraph().keys()].filter((file) => {
      const lines = readFileSync(file, 'utf8').split('\n');
      const first = lines[0]?.startsWith('#!') ? lines[1] : lines[0];
      return !/^\/\/ \S/.test(first ?? '');
    });
    assert.deepEqual(
      silent.map((f) => relative(SRC, f)),
      [],
    );
  });
});
