// The probe checks shared by the in-process probe suite and the blackholed-mirror suite: a probe that must come
// back within its own deadline (the test fails instead of hanging when it does not), a failure at the deadline,
// and no descriptor left behind after many probes at once.
import assert from 'node:assert/strict';
import { probeOnce, type ProbeResult, type ProbeTarget } from '../../src/health/probe.js';
import type { TlsSettings } from '../../src/model.js';
import { fdCount, fdsSettleTo } from './fds.js';

export const NO_TLS: TlsSettings = { ca: [], client: [], skipVerify: false };
export const TIMEOUT_MS = 500;
/** How late a probe may come back after its deadline before the test calls the deadline broken. */
const DEADLINE_SLACK_MS = 1500;

/** Runs a probe, failing the test (instead of hanging it) when the probe ignores its own deadline. */
export async function probeWithinDeadline(target: ProbeTarget, timeoutMs = TIMEOUT_MS): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`probe still running ${DEADLINE_SLACK_MS}ms after its ${timeoutMs}ms deadline`)),
      timeoutMs + DEADLINE_SLACK_MS,
    );
  });
  try {
    return await Promise.race([probeOnce(target, timeoutMs), overdue]);
  } finally {
    clearTimeout(timer);
  }
}

export function assertDownAtDeadline(result: ProbeResult, wording: RegExp): void {
  assert.equal(result.ok, false);
  assert.match(result.error ?? '', wording);
  // It waited for the deadline (a fast failure would be some other classification), and not much longer.
  assert.ok(result.durationMs >= TIMEOUT_MS - 50, `came back after ${result.durationMs}ms, before the ${TIMEOUT_MS}ms deadline`);
  assert.ok(result.durationMs < TIMEOUT_MS + DEADLINE_SLACK_MS, `came back after ${result.durationMs}ms`);
}

export const PROBES = 50;
/**
 * Probes `url` PROBES times at once and checks the descriptor count comes back to where it was. The long
 * deadline keeps 50 concurrent handshakes on a busy machine from turning into timeouts: this test is about
 * sockets, the deadline tests above are about time.
 */
export async function assertNoLeak(url: string, tls: TlsSettings, ok: boolean): Promise<void> {
  const target = { url, tls };
  const timeoutMs = 2000;
  await probeWithinDeadline(target, timeoutMs); // warm-up: lazily opened handles (DNS, TLS) are not leaks
  const baseline = fdCount();
  const results = await Promise.all(Array.from({ length: PROBES }, () => probeWithinDeadline(target, timeoutMs)));
  assert.deepEqual(
    results.map((r) => r.ok),
    Array<boolean>(PROBES).fill(ok),
  );
  const settled = await fdsSettleTo(baseline);
  assert.ok(settled <= baseline, `${settled - baseline} descriptors still open after ${PROBES} probes`);
}
