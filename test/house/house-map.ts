// What the house tests read: the import graph measured from the sources (as text, so a new file or room is
// measured without being listed anywhere), and the floors ARCHITECTURE.md draws.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const SRC = join(REPO, 'src');
/** The ground floor: `src/*.ts`, imported by any room. */
export const GROUND = '(ground)';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every source file -> the source files it imports (relative imports, static or dynamic). */
export function importGraph(): Map<string, string[]> {
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

/** `config`, `daemon`... or GROUND for a file directly under src/. */
export function roomOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? (parts[0] ?? '') : GROUND;
}

/** One room as drawn or measured: its floor (drawn only), the rooms and the ground-floor files it imports. */
export interface RoomImports {
  floor?: number;
  rooms: string[];
  ground: string[];
}

/**
 * Each room -> the other rooms and the ground-floor files its files import; the ground floor -> `a.ts → b.ts`
 * for each import between its own files. Sorted.
 */
export function measuredImports(graph = importGraph()): Map<string, RoomImports> {
  const out = new Map<string, { rooms: Set<string>; ground: Set<string> }>();
  for (const [file, deps] of graph) {
    const room = roomOf(file);
    const entry = out.get(room) ?? { rooms: new Set(), ground: new Set() };
    out.set(room, entry);
    for (const dep of deps) {
      const to = roomOf(dep);
      if (to !== GROUND) {
        if (to !== room) entry.rooms.add(to);
      } else entry.ground.add(room === GROUND ? `${relative(SRC, file)} → ${relative(SRC, dep)}` : relative(SRC, dep));
    }
  }
  return new Map([...out].map(([room, e]) => [room, { rooms: [...e.rooms].sort(), ground: [...e.ground].sort() }]));
}

const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

/**
 * The table of ARCHITECTURE.md's "Floors of the import graph": `| floor | `room/` | `a/` `b/` | `x.ts` |`, one
 * row per room, and the ground floor's row (floor 0) listing `a.ts` → `b.ts` `c.ts`; ... for its own imports.
 */
export function drawnFloors(): Map<string, RoomImports> {
  const page = readFileSync(join(REPO, 'ARCHITECTURE.md'), 'utf8');
  const section = page.split(/^## /m).find((s) => s.startsWith('Floors of the import graph')) ?? '';
  const out = new Map<string, RoomImports>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length !== 6 || !/^\d+$/.test(cells[1] ?? '')) continue;
    const [, floor = '', room = '', rooms = '', ground = ''] = cells;
    if (room.startsWith('ground floor')) {
      const edges = ground.split(';').flatMap((part) => {
        const [from = '', ...to] = names(part);
        return to.map((dep) => `${from} → ${dep}`);
      });
      out.set(GROUND, { floor: Number(floor), rooms: names(rooms), ground: edges.sort() });
    } else {
      out.set(names(room)[0]?.replace(/\/$/, '') ?? room, {
        floor: Number(floor),
        rooms: names(rooms)
          .map((r) => r.replace(/\/$/, ''))
          .sort(),
        ground: names(ground).sort(),
      });
    }
  }
  return out;
}
