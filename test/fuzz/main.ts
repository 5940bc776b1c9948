// `make fuzz`: the harness for as long as asked. FUZZ_RUNS inputs (default 100 000) or FUZZ_SECONDS, whichever
// ends first; FUZZ_SEED (default: the time), FUZZ_PARALLEL children (default 2), FUZZ_BATCH inputs per child
// (default 2000), FUZZ_CLI_RUNS inputs through the real CLI (default 200). Every input must finish within
// FUZZ_INPUT_MS (default 2000). Prints a summary; exits 1 on any finding.
import { caseAt } from './cases.js';
import { record, runBatches, runCli } from './harness.js';
import { ensureBuilt } from '../helpers/built-cli.js';
import { runDnsAnswers, runDnsThroughServer } from './dns-answers.js';

const env = (name: string, fallback: number): number =>
  process.env[name] === undefined || process.env[name] === '' ? fallback : Number(process.env[name]);
const seed = env('FUZZ_SEED', Date.now() % 1_000_000_000);
const runs = env('FUZZ_RUNS', 100_000);
const seconds = env('FUZZ_SECONDS', 0);
const maxMs = env('FUZZ_INPUT_MS', 2000);
const cliRuns = env('FUZZ_CLI_RUNS', 200);
const started = Date.now();

ensureBuilt();
const summary = await runBatches({
  seed,
  first: 0,
  count: runs,
  batch: env('FUZZ_BATCH', 2000),
  parallel: env('FUZZ_PARALLEL', 2),
  maxMs,
  ...(seconds > 0 ? { until: started + seconds * 1000 } : {}),
});
const batched = summary.ran;
for (let i = 0; i < cliRuns && (seconds === 0 || Date.now() < started + (seconds + 60) * 1000); i++) {
  record(summary, seed + 1, i, await runCli(caseAt(seed + 1, i), maxMs + 1000));
}
// DNS-answer mode (dns-answers.ts): FUZZ_DNS_RUNS answers screened (default 5000), FUZZ_DNS_SERVER_RUNS through dnsmasq (default 10).
const dns = await runDnsThroughServer(seed + 3, env('FUZZ_DNS_SERVER_RUNS', 10), runDnsAnswers(seed + 2, env('FUZZ_DNS_RUNS', 5000)));
const report = {
  seed,
  batched,
  throughCli: summary.ran - batched,
  seconds: Math.round((Date.now() - started) / 1000),
  ...summary,
  dnsAnswers: dns,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = summary.findings.length + dns.findings.length === 0 ? 0 : 1;
