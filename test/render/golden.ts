// Compares a rendered tree with a directory of expected files: the same relative paths, the same bytes,
// the same modes, and nothing else. Git keeps only the executable bit, so modes live in a `.modes`
// manifest at the top of the expected directory. UPDATE_GOLDEN=1 rewrites the directory from the tree.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RenderedTree } from '../../src/model.js';

const MODES_FILE = '.modes';

function relativeEntries(tree: RenderedTree, root: string): Array<[string, string, number]> {
  return [...tree]
    .map(([abs, file]): [string, string, number] => {
      const rel = path.relative(root, abs);
      assert.ok(rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel), `rendered path ${abs} is not below ${root}`);
      return [rel.split(path.sep).join('/'), file.content, file.mode];
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function modesManifest(entries: Array<[string, string, number]>): string {
  return entries.map(([rel, , mode]) => `${mode.toString(8).padStart(4, '0')} ${rel}\n`).join('');
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel));
    else if (rel !== MODES_FILE) out.push(rel);
  }
  return out.sort();
}

function rewrite(entries: Array<[string, string, number]>, expectedDir: string): void {
  fs.rmSync(expectedDir, { recursive: true, force: true });
  fs.mkdirSync(expectedDir, { recursive: true });
  for (const [rel, content, mode] of entries) {
    const file = path.join(expectedDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
  }
  fs.writeFileSync(path.join(expectedDir, MODES_FILE), modesManifest(entries));
}

export function assertTreeMatchesDir(tree: RenderedTree, expectedDir: string, root: string): void {
  const entries = relativeEntries(tree, root);
  if (process.env.UPDATE_GOLDEN === '1') rewrite(entries, expectedDir);

  assert.ok(fs.existsSync(expectedDir), `${expectedDir} does not exist; run with UPDATE_GOLDEN=1 to create it`);
  assert.deepEqual(
    entries.map(([rel]) => rel),
    listFiles(expectedDir),
    `files under ${expectedDir}`,
  );
  for (const [rel, content] of entries) {
    assert.equal(content, fs.readFileSync(path.join(expectedDir, rel), 'utf8'), `content of ${rel}`);
  }
  assert.equal(modesManifest(entries), fs.readFileSync(path.join(expectedDir, MODES_FILE), 'utf8'), `modes (${MODES_FILE})`);
}
