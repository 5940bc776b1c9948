// `make fuzz`: the harness for as long as asked. FUZZ_RUNS inputs in all (default 100 000), shared evenly among
// the modes of modes.ts (FUZZ_MODES, comma-separated, default all), or FUZZ_SECONDS, whichever ends first;
// FUZZ_SEED (default: the time), FUZZ_PARALLEL children in all (default 2, at least one per mode),
// FUZZ_BATCH inputs per child (default 2000), FUZZ_CLI_RUNS config inputs through the real CLI (default 200).
// Every input must finish within FUZZ_INPUT_MS (default 2000) of CPU. Prints a summary; exits 1 on any finding.
import { caseAt } from './cases.js';
import { emptySummary, record, runBatches, runCli, type Summary } from './harness.js';
import { isModeName, MODES, type ModeName } from './modes.js';
import { ensureBuilt } from '../helpers/built-cli.js';
import { runDnsAnswers, runDnsThroughServer } from './dns-answers.js';

const env = (name: string, fallback: number): number =>
  process.env[name] === undefined || process.env[name] === '' ? fallback : Number(process.env[name]);
const seed = env('FUZZ_SEED', Date.now() % 1_000_000_000);
const runs = env('FUZZ_RUNS', 100_000);
const seconds = env('FUZZ_SECONDS', 0);
const maxMs = env('FUZZ_INPUT_MS', 2000);
const cliRuns = env('FUZZ_CLI_RUNS', 200);
const modes = (process.env.FUZZ_MODES || Object.keys(MODES).join(',')).split(',').map((m) => m.trim());
for (const m of modes) if (!isModeName(m)) throw new Error(`FUZZ_MODES: unknown mode ${m}; known: ${Object.keys(MODES).join(', ')}`);
const started = Date.now();

ensureBuilt();
const perMode = new Map<ModeName, Summary>();
await Promise.all(
  (modes as ModeName[]).map(async (mode, i) => {
    const count = Math.floor(runs / modes.length) + (i < runs % modes.length ? 1 : 0);
    const summary = await runBatches({
      mode,
      seed,
      first: 0,
      count,
      batch: env('FUZZ_BATCH', 2000),
      parallel: Math.max(1, Math.round(env('FUZZ_PARALLEL', 2) / modes.length)),
      maxMs,
      ...(seconds > 0 ? { until: started + seconds * 1000 } : {}),
    });
    perMode.set(mode, summary);
  }),
);
const summary = emptySummary();
for (const s of perMode.values()) {
  summary.ran += s.ran;
  for (const [exit, n] of Object.entries(s.exits)) summary.exits[exit] = (summary.exits[exit] ?? 0) + n;
  summary.slowestMs = Math.max(summary.slowestMs, s.slowestMs);
  summary.mostCpuMs = Math.max(summary.mostCpuMs, s.mostCpuMs);
  summary.findings.push(...s.findings);
}
const batched = summary.ran;
for (let i = 0; i < cliRuns && (seconds === 0 || Date.now() < started + (seconds + 60) * 1000); i++) {
  record(summary, seed + 1, i, await runCli(caseAt(seed + 1, i), maxMs + 1000));
}
// DNS-answer mode (dns-answers.ts): FUZZ_DNS_RUNS answers screened (default 5000), FUZZ_DNS_SERVER_RUNS through dnsmasq (default 10).
const dns = await runDnsThroughServer(seed + 3, env('FUZZ_DNS_SERVER_RUNS', 10), runDnsAnswers(seed + 2, env('FUZZ_DNS_RUNS', 5000)));
const report = {
  seed,
  batched,
  byMode: Object.fromEntries([...perMode].map(([mode, s]) => [mode, { ran: s.ran, exits: s.exits, findings: s.findings.length }])),
  throughCli: summary.ran - batched,
  seconds: Math.round((Date.now() - started) / 1000),
  ...summary,
  dnsAnswers: dns,
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = summary.findings.length + dns.findings.length === 0 ? 0 : 1;
