// The bounded sample of the fuzz harness that `make test` runs (issue 10; the config.toml mode of issue 25);
// `make fuzz` runs the same cases for as long as asked (test/fuzz/main.ts). Three layers: in process (volume),
// batches in children under the shipped heap flags (a heap exhausted kills the child: a finding), and the real
// CLI with issue 10's reproductions. Fixed seeds: a finding here is reproducible with
// `node --import tsx test/fuzz/show.ts SEED INDEX`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseAt, ISSUE_CASES } from './cases.js';
import { checkCase, writeCase } from './check.js';
import { emptySummary, record, runBatches, runCli } from './harness.js';
import { ensureBuilt } from '../helpers/built-cli.js';
import { runDnsAnswers, runDnsThroughServer } from './dns-answers.js';

// Generous: these bound a hang on a loaded machine; `make fuzz` holds every input to 2 s.
const HANG_MS = 20_000;
const SEED = 20_261_202;

describe('fuzz sample', { timeout: 180_000 }, () => {
  it('in process: 400 generated and mutated inputs, each exit 0 or 2, no secret in any output, disk unchanged', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'cma-fuzz-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    const summary = emptySummary();
    for (let i = 0; i < 400; i++) {
      const c = caseAt(SEED, i);
      const dir = join(root, String(i));
      record(summary, SEED, i, await checkCase(dir, writeCase(dir, c), c, HANG_MS));
    }
    assert.deepEqual(summary.findings, []);
    assert.ok((summary.exits['0'] ?? 0) > 0 && (summary.exits['2'] ?? 0) > 0, `both outcomes occur: ${JSON.stringify(summary.exits)}`);
  });

  it('in children under the 64 MB heap cap: 400 more inputs, none crashes or hangs a child', async () => {
    const summary = await runBatches({ seed: SEED + 1, first: 0, count: 400, batch: 200, parallel: 2, maxMs: HANG_MS });
    assert.deepEqual(summary.findings, []);
    assert.equal(summary.ran, 400);
  });

  it('config.toml mode, in a child under the 64 MB heap cap: 400 inputs through the writer, each refused or edited, none crashes or hangs', async () => {
    const summary = await runBatches({ mode: 'toml', seed: SEED + 3, first: 0, count: 400, batch: 400, parallel: 1, maxMs: HANG_MS });
    assert.deepEqual(summary.findings, []);
    assert.equal(summary.ran, 400);
    assert.ok((summary.exits['0'] ?? 0) > 0 && (summary.exits['2'] ?? 0) > 0, `both outcomes occur: ${JSON.stringify(summary.exits)}`);
  });

  it('DNS answers (issue 25): 1000 generated answers screened, 5 through a real DNS server and the resolver', async () => {
    const summary = await runDnsThroughServer(SEED + 4, 5, runDnsAnswers(SEED + 3, 1000));
    assert.deepEqual(summary.findings, []);
    assert.ok(summary.ran >= 1000);
  });

  it("through the built CLI under the heap cap: issue 10's reproductions and generated inputs", async () => {
    ensureBuilt();
    const summary = emptySummary();
    for (const [i, c] of ISSUE_CASES.entries()) {
      const verdict = await runCli(c, HANG_MS);
      assert.equal(verdict.exit, 2, `issue case ${i}: ${verdict.problems.join('; ')}`);
      record(summary, -1, i, verdict);
    }
    for (let i = 0; i < 10; i++) record(summary, SEED + 2, i, await runCli(caseAt(SEED + 2, i), HANG_MS));
    assert.deepEqual(summary.findings, []);
  });
});
