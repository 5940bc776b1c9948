// Summaries of repeated measurements. Nearest-rank percentiles: with few samples, a real observed value.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** Runs `measure` n times in sequence and returns every sample. */
export async function repeat<T = number>(n: number, measure: (i: number) => Promise<T>): Promise<T[]> {
  const samples: T[] = [];
  for (let i = 0; i < n; i++) samples.push(await measure(i));
  return samples;
}
