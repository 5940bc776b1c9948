// `make bench-footprint`: the agent at rest for BENCH_FOOTPRINT_SECONDS (default 600) probing 10 endpoints
// every 2 s, on the packaged executable (CMA_AGENT_BIN): RSS and CPU beside their targets, and beside bare
// Node (the same runtime running nothing), which is the floor no code change can go under.
import { processTempDir } from '../test/helpers/temp-dir.js';
import { AGENT_BIN } from '../test/e2e/agent.js';
import { measureFootprint, restingRows } from './footprint.js';
import { machine, markdown, type Row } from './report.js';
import { writeSection } from './results-file.js';

const SECONDS = Number(process.env.BENCH_FOOTPRINT_SECONDS ?? 600);

const scratch = processTempDir('footprint');
try {
  const f = await measureFootprint(scratch.path, SECONDS);
  const ready: Row = {
    section: 'footprint',
    what: 'spawn → READY=1',
    value: `${f.readyMs.toFixed(0)} ms`,
    note: 'target ≤ 400 ms; sd_notify received on NOTIFY_SOCKET',
  };
  const rows = [...restingRows(f), ready];
  for (const r of rows) console.log(`${r.section} | ${r.what} | ${r.value} | ${r.note}`);
  writeSection('footprint', ['## `make bench-footprint`', '', `- executable: ${AGENT_BIN}`, ...machine(), '', markdown(rows)]);
} finally {
  scratch.guard.now();
}
