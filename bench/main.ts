// `make bench`: every figure of issues 5 and 13 measured side by side in one run, on the real bed, written to
// its section of bench/RESULTS.md; the pull, failover and agent rows once per containerd (1.6 and 2.x, issue 11).
// The agent is CMA_AGENT_BIN (the packaged executable under `make bench`), RSS and CPU included (its 10 minutes
// at rest, as `make bench-footprint` alone). Knobs (environment): BENCH_RUNS (default 3), BENCH_BASELINE_RUNS
// (blackholed pulls without the agent, 1-layer image only, default 1: each takes ~2 minutes),
// BENCH_FOOTPRINT_SECONDS (default 600).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installedContainerdFacts } from '../test/render/real-containerd.js';
import { processTempDir } from '../test/helpers/temp-dir.js';
import {
  containerd2Missing,
  LARGE_IMAGE,
  SMALL_IMAGE,
  startTestbed,
  testbedUnavailable,
  type ImageSpec,
} from '../test/helpers/testbed/index.js';
import { formatContainerdVersion } from '../src/containerd/detect.js';
import { AGENT_BIN, AGENT_BUILT } from '../test/e2e/agent.js';
import { measureFootprint, restingRows } from './footprint.js';
import { measureRenderApply, RENDER_APPLY_SHAPE } from './render-apply.js';
import { measureSwaps } from './swap.js';
import { PullBench } from './pulls.js';
import { machine, markdown, ms, ratio, type Row } from './report.js';
import { writeSection } from './results-file.js';
import { median, percentile, repeat } from './stats.js';
import { measureWithAgent } from './with-agent.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS ?? 1);
/** The agent at rest, as `make bench-footprint` measures it (issue 13's window: 10 minutes). */
const FOOTPRINT_SECONDS = Number(process.env.BENCH_FOOTPRINT_SECONDS ?? 600);
const DIST_LAUNCHER = resolve(import.meta.dirname, '../bin/containerd-mirror-agent');
const IMAGES: ImageSpec[] = [SMALL_IMAGE, LARGE_IMAGE];
const label = (image: ImageSpec): string => `${image.layers}-layer (~${Math.round((image.layers * image.bytesPerLayer) / 2 ** 20)} MB)`;
const samplesNote = (samples: number[]): string => `median of ${samples.length}: ${samples.map((v) => ms(v)).join(', ')}`;

async function benchPulls(log: (row: Row) => void): Promise<void> {
  const bed = await startTestbed({ images: IMAGES });
  try {
    const facts = await installedContainerdFacts();
    const pulls = new PullBench(bed, RUNS, facts);
    const on = ` on containerd ${facts.version ? formatContainerdVersion(facts.version) : 'unknown'}`;
    const upstream = new Map<string, number>();
    for (const image of IMAGES) {
      const base = await pulls.upstreamOnly(image);
      upstream.set(image.repository, median(base));
      log({ section: `pull (CRI)${on}`, what: `${label(image)}, upstream-only`, value: ms(median(base)), note: samplesNote(base) });
      const warm = await pulls.warmCache(image);
      log({
        section: `pull (CRI)${on}`,
        what: `${label(image)}, through the warm cache`,
        value: ms(median(warm)),
        note: `${samplesNote(warm)}; ${ratio(median(warm), median(base))} upstream-only`,
      });
    }
    const dead = BASELINE_RUNS > 0 ? await pulls.blackholedWithoutAgent(SMALL_IMAGE, BASELINE_RUNS) : [];
    log({
      section: `pull (CRI)${on}`,
      what: `${label(SMALL_IMAGE)}, cache blackholed, no agent`,
      value: ms(median(dead)),
      note: `bounded: ${BASELINE_RUNS} run(s), 1-layer image only (each request waits containerd's 30 s dial timeout); ${ratio(median(dead), upstream.get(SMALL_IMAGE.repository) ?? Number.NaN)} upstream-only`,
    });
    if (AGENT_BUILT) {
      const agent = await measureWithAgent(bed, pulls, IMAGES, RUNS).catch((error: unknown) => error as Error);
      if (agent instanceof Error) {
        log({
          section: `agent${on}`,
          what: 'failover, restore, pulls with the agent',
          value: 'n/a',
          note: `agent run failed: ${agent.message.split('\n')[0]}`,
        });
      } else {
        for (const image of IMAGES) {
          const paired = agent.pulls.get(image.repository) ?? { pulls: [], reference: [] };
          log({
            section: `pull (CRI)${on}`,
            what: `${label(image)}, cache blackholed, with the agent (after failover)`,
            value: ms(median(paired.pulls)),
            note: `${samplesNote(paired.pulls)}; ${ratio(median(paired.pulls), median(paired.reference))} an upstream-only pull interleaved with it (median ${ms(median(paired.reference))}), ${ratio(median(paired.pulls), upstream.get(image.repository) ?? Number.NaN)} the upstream-only row (target ≤ 1.1×)`,
          });
        }
        log({
          section: `failover${on}`,
          what: 'blackhole on → upstream-only file on disk',
          value: ms(median(agent.failoverMs)),
          note: `${samplesNote(agent.failoverMs)}; default probe settings (interval 2s, timeout 1s, failureThreshold 2): expected between 1 and ~4 s after the blackhole, by probe phase; target ≤ 3 s`,
        });
        log({
          section: `failover${on}`,
          what: 'blackhole off → mirror back in the file',
          value: ms(median(agent.restoreMs)),
          note: `${samplesNote(agent.restoreMs)}; a fresh agent per sample: flap damping doubles the successes needed after each recent down (by design), so repeated flips in one agent come back slower`,
        });
      }
    }
  } finally {
    await bed.stop();
  }
}

async function main(): Promise<void> {
  const unavailable = testbedUnavailable();
  if (unavailable) throw new Error(`make bench: ${unavailable}`);
  const rows: Row[] = [];
  const log = (row: Row): void => {
    rows.push(row);
    console.log(`${row.section} | ${row.what} | ${row.value} | ${row.note}`);
  };
  for (const major of [1, 2] as const) {
    if (major === 2 && containerd2Missing()) {
      log({ section: 'pull (CRI) on containerd 2.x', what: 'every pull row', value: 'n/a', note: containerd2Missing() ?? '' });
      continue;
    }
    // Every helper (bed, renderer facts, agent PATH) reads the selection from here, so one bed at a time.
    process.env.CMA_CONTAINERD = String(major);
    await benchPulls(log);
  }
  if (AGENT_BUILT) {
    const scratch = processTempDir('bench');
    try {
      const swaps = await measureSwaps(scratch.path, 100);
      log({
        section: 'config',
        what: 'Secret `..data` swap → file on disk, p50',
        value: ms(percentile(swaps, 50)),
        note: `${swaps.length} swaps`,
      });
      log({
        section: 'config',
        what: 'Secret `..data` swap → file on disk, p95',
        value: ms(percentile(swaps, 95)),
        note: `${swaps.length} swaps; target ≤ 250 ms`,
      });
      const ready = async (bin: string, tag: string): Promise<number[]> => {
        const samples: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const dir = join(scratch.path, `ready-${tag}-${i}`);
          mkdirSync(dir);
          samples.push((await measureFootprint(dir, 0, bin)).readyMs);
        }
        return samples;
      };
      const packaged = await ready(AGENT_BIN, 'agent');
      const dist = await ready(DIST_LAUNCHER, 'dist');
      log({
        section: 'footprint',
        what: 'spawn → READY=1',
        value: ms(median(packaged)),
        note: `${samplesNote(packaged)}; ${AGENT_BIN}; target ≤ 400 ms; ${ratio(median(packaged), median(dist))} \`node dist/\` (bin/containerd-mirror-agent, median ${ms(median(dist))})`,
      });
      const resting = join(scratch.path, 'footprint');
      mkdirSync(resting);
      for (const row of restingRows(await measureFootprint(resting, FOOTPRINT_SECONDS))) log(row);
    } catch (error) {
      log({
        section: 'agent',
        what: 'swap latency, READY',
        value: 'n/a',
        note: `agent run failed: ${(error as Error).message.split('\n')[0]}`,
      });
    } finally {
      scratch.guard.now();
    }
  }
  const applies = await repeat(RUNS, () => measureRenderApply());
  const renders = applies.map((a) => a.renderMs);
  log({
    section: 'render + apply',
    what: `${RENDER_APPLY_SHAPE}, render only (pure)`,
    value: ms(median(renders)),
    note: samplesNote(renders),
  });
  const firsts = applies.map((a) => a.firstMs);
  const agains = applies.map((a) => a.againMs);
  log({
    section: 'render + apply',
    what: `${RENDER_APPLY_SHAPE}, empty hosts dir`,
    value: ms(median(firsts)),
    note: `${samplesNote(firsts)}; files written: ${applies.map((a) => a.firstWritten).join(', ')}, each with fsync of file and directory; target ≤ 200 ms`,
  });
  log({
    section: 'render + apply',
    what: 'same config again (no-op)',
    value: ms(median(agains)),
    note: `${samplesNote(agains)}; ${ratio(median(agains), median(firsts))} the first apply; files written: ${applies.map((a) => a.againWritten).join(', ')} (must be 0); target ≤ 20 ms`,
  });
  writeSection('bench', ['## `make bench`', '', ...machine(), '', markdown(rows)]);
}

await main();
