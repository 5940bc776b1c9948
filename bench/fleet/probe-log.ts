// Probes the cache served, per second, from distribution's access log: its timestamps have one-second
// resolution, enough to see lock-step (a 2 s interval in step would alternate ~100 and ~0 per second).
const LINE = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) [+-]\d{4}\] "GET \/v2\/ HTTP/;

/** Counts of `GET /v2/` per wall-clock second, first to last second seen, gaps as 0. */
export function probesPerSecond(log: string): number[] {
  const counts = new Map<number, number>();
  for (const line of log.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const second = Date.parse(`${m[2]} ${m[1]} ${m[3]} ${m[4]}:${m[5]}:${m[6]} GMT`) / 1000;
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  if (counts.size === 0) return [];
  const seconds = [...counts.keys()];
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  return Array.from({ length: last - first + 1 }, (_, i) => counts.get(first + i) ?? 0);
}
