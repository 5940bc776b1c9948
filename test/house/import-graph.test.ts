// The house rule made mechanical: no import circle between files, and every import between rooms goes down
// a floor (the ground floor imports no room; the CLI sits on top). Read from the sources as text, so a new
// file or room is checked without being listed here, except for its floor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');
const FLOORS: Record<string, number> = {
  '(ground)': 0,
  config: 1,
  render: 1,
  health: 1,
  watch: 1,
  observe: 1,
  apply: 1,
  containerd: 2,
  cri: 3,
  sync: 4,
  daemon: 4,
  doctor: 4,
  cli: 5,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) =>
      resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts')),
    );
    graph.set(file, deps);
  }
  return graph;
}

const roomOf = (file: string): string => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? (parts[0] ?? '') : '(ground)';
};

describe('the import graph', () => {
  const graph = importGraph();

  it('has no circle between files', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) {
        if (state.get(dep) === 'open') circles.push([...path.slice(path.indexOf(dep)), dep].map((f) => relative(SRC, f)).join(' -> '));
        else if (!state.has(dep)) visit(dep, [...path, dep]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    assert.deepEqual(circles, []);
  });

  it('imports between rooms only go down a floor', () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const from = roomOf(file);
        const to = roomOf(dep);
        if (from === to) continue;
        assert.ok(from in FLOORS, `room ${from} has no floor in this test: give it one`);
        assert.ok(to in FLOORS, `room ${to} has no floor in this test: give it one`);
        if ((FLOORS[to] ?? 0) >= (FLOORS[from] ?? 0)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, dep)}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it('never repeats a file name across rooms', () => {
    const seen = new Map<string, string>();
    const repeated: string[] = [];
    for (const file of graph.keys()) {
      const name = file.split('/').at(-1) ?? '';
      const first = seen.get(name);
      if (first !== undefined) repeated.push(`${relative(SRC, first)} ~ ${relative(SRC, file)}`);
      seen.set(name, file);
    }
    assert.deepEqual(repeated, []);
  });
});
