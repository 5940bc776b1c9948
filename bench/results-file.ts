// bench/RESULTS.md holds one section per benchmark command (`make bench`, `make bench-footprint`,
// `make bench-fleet`): each run replaces only its own section, so a slow benchmark run alone keeps the others.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const RESULTS_PATH = resolve(import.meta.dirname, 'RESULTS.md');
const TITLE = '# Benchmark results';

export function writeSection(name: string, lines: readonly string[]): void {
  const begin = `<!-- section ${name} -->`;
  const end = `<!-- /section ${name} -->`;
  const block = [begin, ...lines, end].join('\n');
  const text = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : '';
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  let next: string;
  if (start >= 0 && stop > start) next = text.slice(0, start) + block + text.slice(stop + end.length);
  // A file from before sections (or none): start over with the title, keeping nothing unsectioned.
  else if (!text.includes('<!-- section ')) next = `${TITLE}\n\n${block}\n`;
  else next = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, next);
}
