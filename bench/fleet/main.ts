// `make bench-fleet`: 100 agents (the packaged executable, CMA_AGENT_BIN) against one real distribution
// cache on loopback, default probe settings. Measures what the cache sees and how the fleet behaves through an
// outage, a flapping cache and a bad config pushed everywhere at once; writes its section of bench/RESULTS.md.
// Knobs: FLEET_SIZE (100), FLEET_STEADY_SECONDS (40), FLEET_FLAP_SECONDS (60). Needs root (iptables).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_BIN, AGENT_BUILT } from '../../test/e2e/agent.js';
import { hostsFilePath } from '../../test/e2e/hosts-files.js';
import { blackhole, startRegistry, testbedUnavailable, type Blackhole } from '../../test/helpers/testbed/index.js';
import { processTempDir } from '../../test/helpers/temp-dir.js';
import { dropFromPageCache } from '../footprint.js';
import { writeSection } from '../results-file.js';
import { machine, markdown, type Row } from '../report.js';
import { median, percentile } from '../stats.js';
import { CONFIG_KEY, eventsSoFar, fleetConfig, listsMirror, startFleet, stopFleet, usage, writesSoFar, type Member } from './fleet.js';
import { probesPerSecond } from './probe-log.js';

const SIZE = Number(process.env.FLEET_SIZE ?? 100);
const STEADY_SECONDS = Number(process.env.FLEET_STEADY_SECONDS ?? 40);
const FLAP_SECONDS = Number(process.env.FLEET_FLAP_SECONDS ?? 60);
const INTERVAL_S = 2;
const OUTAGE_MS = 10_000;
const FLAP_HALF_MS = 2_000;
const CACHE_HOST = '127.0.0.13';

const s = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');
const spread = (values: number[], fmt: (v: number) => string): string =>
  `min ${fmt(Math.min(...values))}, median ${fmt(median(values))}, p95 ${fmt(percentile(values, 95))}, max ${fmt(Math.max(...values))}`;

/** Polls every member until `done` holds for all (or the deadline): ms from `since` at which each first held. */
async function timesUntil(members: readonly Member[], done: (m: Member) => boolean, since: number, timeoutMs: number): Promise<number[]> {
  const at = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (at.size < members.length && Date.now() < deadline) {
    for (const m of members) if (!at.has(m.index) && done(m)) at.set(m.index, Date.now() - since);
    await sleep(50);
  }
  return members.map((m) => at.get(m.index) ?? Number.NaN);
}

function fingerprint(members: readonly Member[], registry: string): Map<number, string> {
  return new Map(
    members.map((m) => {
      const path = hostsFilePath(m.hostsDir, registry);
      const st = statSync(path);
      return [m.index, createHash('sha256').update(readFileSync(path)).update(`${st.mtimeMs}:${st.ino}`).digest('hex')];
    }),
  );
}

async function main(): Promise<void> {
  const unavailable = testbedUnavailable();
  if (unavailable) throw new Error(`make bench-fleet: ${unavailable}`);
  if (!AGENT_BUILT) throw new Error(`make bench-fleet: ${AGENT_BIN} is missing; run \`make binary\``);
  const rows: Row[] = [];
  const log = (row: Row): void => {
    rows.push(row);
    console.log(`${row.section} | ${row.what} | ${row.value} | ${row.note}`);
  };
  const scratch = processTempDir('fleet');
  const upstream = await startRegistry({ dir: join(scratch.path, 'upstream'), host: '127.0.0.1' });
  const cache = await startRegistry({ dir: join(scratch.path, 'cache'), host: CACHE_HOST, proxyOf: upstream.url });
  const registry = upstream.address;
  let members: Member[] = [];
  dropFromPageCache(AGENT_BIN);
  let hole: Blackhole | undefined;
  const started = Date.now();
  try {
    const bootStart = Date.now();
    members = await startFleet(scratch.path, SIZE, fleetConfig(registry, upstream.url, cache.url));
    const mirrored = await timesUntil(members, (m) => listsMirror(m, registry) === true, bootStart, 60_000);
    log({
      section: 'fleet',
      what: `${SIZE} agents started (5 at a time) → cache in every hosts.toml`,
      value: s(Math.max(...mirrored)),
      note: `executable ${AGENT_BIN}`,
    });

    // Steady state: what the cache sees, and what the fleet costs.
    const mark = cache.logMark();
    const before = members.map((m) => usage(m.agent.process.pid));
    const windowStart = Date.now();
    await sleep(STEADY_SECONDS * 1000);
    const windowS = (Date.now() - windowStart) / 1000;
    const after = members.map((m) => usage(m.agent.process.pid));
    const perSecond = probesPerSecond(cache.process.log().slice(mark)).slice(1, -1); // whole seconds only
    const rate = perSecond.reduce((a, b) => a + b, 0) / perSecond.length;
    const expected = SIZE / INTERVAL_S;
    // The monitor starts each probe interval × (0.8..1.0) after the last one: 0.9 × interval on average.
    const scheduled = SIZE / (INTERVAL_S * 0.9);
    const sd = Math.sqrt(perSecond.reduce((a, v) => a + (v - rate) ** 2, 0) / perSecond.length);
    log({
      section: 'probe load',
      what: 'GET /v2/ per second at the cache',
      value: rate.toFixed(1),
      note: `expected ${SIZE} × 1 mirror / ${INTERVAL_S} s = ${expected}/s (${(rate / expected).toFixed(2)}×); the jitter starts each probe 0.8–1.0 × interval after the last, ${scheduled.toFixed(1)}/s on average (${(rate / scheduled).toFixed(2)}× that); ${perSecond.length} whole seconds from the access log`,
    });
    log({
      section: 'probe load',
      what: 'spread over time (per second)',
      value: `max ${Math.max(...perSecond)}, min ${Math.min(...perSecond)}`,
      note: `sd ${sd.toFixed(1)} (${((100 * sd) / rate).toFixed(0)} % of the mean; lock-step would show ~${SIZE} and ~0 in alternate seconds); max/mean ${(Math.max(...perSecond) / rate).toFixed(2)}×`,
    });
    const rss = after.map((u) => u.rssMiB);
    const pss = after.map((u) => u.pssMiB);
    const anon = after.map((u) => u.anonMiB);
    const cpuPct = after.map((u, i) => (100 * (u.cpuSeconds - (before[i]?.cpuSeconds ?? 0))) / windowS);
    const sum = (v: number[]): string => `${v.reduce((a, b) => a + b, 0).toFixed(0)} MiB`;
    const mib = (v: number): string => `${v.toFixed(1)} MiB`;
    log({
      section: 'footprint',
      what: `memory of all ${SIZE} agents together (PSS: shared pages split between their users)`,
      value: sum(pss),
      note: `RSS summed ${sum(rss)} counts the one executable's shared pages in each agent; anonymous (each agent's own) ${sum(anon)}`,
    });
    log({
      section: 'footprint',
      what: 'RSS per agent',
      value: mib(median(rss)),
      note: `${spread(rss, mib)}; anonymous ${spread(anon, mib)}; the executable's page cache dropped before the start, as after a reboot`,
    });
    log({
      section: 'footprint',
      what: `CPU of all ${SIZE} agents together, over ${windowS.toFixed(0)} s`,
      value: `${cpuPct.reduce((a, b) => a + b, 0).toFixed(1)} % of a core`,
      note: `per agent ${spread(cpuPct, (v) => `${v.toFixed(2)} %`)} (target ≤ 0.5 %, at 100 jiffies/s resolution)`,
    });

    // A 10 s outage of the cache (packets dropped, as with a dead node behind a Service IP).
    hole = await blackhole(CACHE_HOST, cache.port);
    const outageStart = Date.now();
    const failedOver = await timesUntil(members, (m) => listsMirror(m, registry) === false, outageStart, 30_000);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    await hole.remove();
    hole = undefined;
    const outageEnd = Date.now();
    const back = await timesUntil(members, (m) => listsMirror(m, registry) === true, outageEnd, 60_000);
    log({
      section: '10 s outage',
      what: 'blackhole on → mirror dropped from hosts.toml',
      value: s(Math.max(...failedOver)),
      note: `slowest agent; ${spread(failedOver, s)}; ${failedOver.filter(Number.isNaN).length} never failed over`,
    });
    log({
      section: '10 s outage',
      what: 'blackhole off → mirror back in hosts.toml',
      value: s(Math.max(...back)),
      note: `slowest agent; ${spread(back, s)}; ${back.filter(Number.isNaN).length} not back within 60 s`,
    });

    // A cache that flaps: 2 s dropped, 2 s answering, for FLAP_SECONDS.
    const writesBefore = members.map(writesSoFar);
    const flapEnd = Date.now() + FLAP_SECONDS * 1000;
    let cycles = 0;
    while (Date.now() < flapEnd) {
      hole = await blackhole(CACHE_HOST, cache.port);
      await sleep(FLAP_HALF_MS);
      await hole.remove();
      hole = undefined;
      await sleep(FLAP_HALF_MS);
      cycles += 1;
    }
    const settled = await timesUntil(members, (m) => listsMirror(m, registry) === true, Date.now(), 90_000);
    const rewrites = members.map((m, i) => writesSoFar(m) - (writesBefore[i] ?? 0));
    log({
      section: 'flapping cache',
      what: `rewrites of hosts.toml per agent, ${FLAP_SECONDS} s of 2 s down / 2 s up`,
      value: `max ${Math.max(...rewrites)}`,
      note: `${spread(rewrites, String)}; undamped, ${cycles} cycles could cost ${2 * cycles} rewrites each; all back to the mirror ${s(Math.max(...settled))} after the last flap`,
    });

    // One invalid config pushed into every volume at once, once the fleet is quiet (no write for 5 s), so what
    // changes after the swap is the swap's doing, or the probes'.
    await quiet(members, 5_000, 90_000);
    const fingerprints = fingerprint(members, registry);
    const eventsBefore = members.map(
      (m) => [writesSoFar(m), eventsSoFar(m, 'mirror_state'), eventsSoFar(m, 'mirror_state', '"to":"down"')] as const,
    );
    const swapAt = Date.now();
    await Promise.all(members.map((m) => m.volume.swap({ [CONFIG_KEY]: 'hostsDir: [not, a, path]\nregistries: 42\n' })));
    const reporting = await timesUntilAsync(members, async (m) => (await m.agent.status()).config.lastError !== undefined, swapAt, 20_000);
    await sleep(2_000); // a late writer would show now
    const after2 = fingerprint(members, registry);
    const changed = members.filter((m) => after2.get(m.index) !== fingerprints.get(m.index)).length;
    const count = reporting.filter((v) => !Number.isNaN(v)).length;
    const writesDuring = members.map((m, i) => writesSoFar(m) - (eventsBefore[i]?.[0] ?? 0));
    const transitionsDuring = members.map((m, i) => eventsSoFar(m, 'mirror_state') - (eventsBefore[i]?.[1] ?? 0));
    const downsDuring = members.map((m, i) => eventsSoFar(m, 'mirror_state', '"to":"down"') - (eventsBefore[i]?.[2] ?? 0));
    log({
      section: 'bad config',
      what: `invalid config swapped into all ${SIZE} volumes at once: hosts files changed`,
      value: String(changed),
      note: `content, mtime and inode of every hosts.toml compared before and after (must be 0); meanwhile ${writesDuring.filter((w) => w > 0).length} agents wrote a file and ${transitionsDuring.filter((t) => t > 0).length} saw a mirror change state (${downsDuring.filter((t) => t > 0).length} of them to down, i.e. probes that failed while the fleet reloaded)`,
    });
    log({
      section: 'bad config',
      what: 'agents reporting it (status config.lastError)',
      value: `${count} of ${SIZE}`,
      note: `within ${s(Math.max(...reporting.filter((v) => !Number.isNaN(v))))} of the swap; ${spread(
        reporting.filter((v) => !Number.isNaN(v)),
        s,
      )}`,
    });
  } finally {
    await hole?.remove();
    await stopFleet(members);
    await cache.stop();
    await upstream.stop();
    scratch.guard.now();
  }
  log({ section: 'fleet', what: 'whole run', value: s(Date.now() - started), note: 'target < 10 min' });
  writeSection('fleet', ['## `make bench-fleet`', '', ...machine(), '', markdown(rows)]);
}

/** Waits until no member has written a file for `forMs` (or `timeoutMs` passed). */
async function quiet(members: readonly Member[], forMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = members.map(writesSoFar).join();
  let since = Date.now();
  while (Date.now() - since < forMs && Date.now() < deadline) {
    await sleep(250);
    const now = members.map(writesSoFar).join();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

/** Like timesUntil, for a check that needs a request. */
async function timesUntilAsync(
  members: readonly Member[],
  done: (m: Member) => Promise<boolean>,
  since: number,
  timeoutMs: number,
): Promise<number[]> {
  const at = new Map<number, number>();
  const deadline = Date.now() + timeoutMs;
  while (at.size < members.length && Date.now() < deadline) {
    await Promise.all(
      members
        .filter((m) => !at.has(m.index))
        .map(async (m) => {
          if (await done(m).catch(() => false)) at.set(m.index, Date.now() - since);
        }),
    );
    await sleep(100);
  }
  return members.map((m) => at.get(m.index) ?? Number.NaN);
}

await main();
