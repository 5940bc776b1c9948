// The house rule made mechanical: no import circle between files, and every import between rooms goes down
// a floor (the ground floor imports no room; the CLI sits on top). Read from the sources as text, so a new
// file or room is checked without being listed here; its floor is the one ARCHITECTURE.md draws.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { SRC, drawnFloors, importGraph, roomOf } from './house-map.js';

/** The floors as ARCHITECTURE.md draws them: the page is the plan, and the sources must keep to it. */
const FLOORS: Record<string, number> = Object.fromEntries([...drawnFloors()].map(([room, drawn]) => [room, drawn.floor ?? -1]));

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
        assert.ok(from in FLOORS, `room ${from} has no floor in ARCHITECTURE.md: draw it`);
        assert.ok(to in FLOORS, `room ${to} has no floor in ARCHITECTURE.md: draw it`);
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
