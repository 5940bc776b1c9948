// The monitor suites' recorder of events, and a per-test harness that stops every monitor and closes every
// server a test made: shared by the in-process monitor suite and the blackholed-mirror suite.
import { afterEach } from 'node:test';
import { HealthMonitor, type MonitorEvents } from '../../src/health/monitor.js';
import type { ProbeResult, ProbeTarget } from '../../src/health/probe.js';
import type { MirrorHealth } from '../../src/health/state-machine.js';
import type { MirrorState, ProbeSettings } from '../../src/model.js';
import type { TestServer } from '../helpers/servers.js';

const NO_TLS = { ca: [], client: [], skipVerify: false };
export const target = (url: string): ProbeTarget => ({ url, tls: NO_TLS });
export const FAST: ProbeSettings = { intervalMs: 100, timeoutMs: 300, failureThreshold: 2, successThreshold: 1 };

export interface Transition {
  url: string;
  from: MirrorState;
  to: MirrorState;
  health: MirrorHealth;
  at: number;
}

/** Records every event and lets a test wait for a condition on them, failing (not hanging) when it never comes. */
export class Recorder implements MonitorEvents {
  readonly results: Array<{ url: string; result: ProbeResult; health: MirrorHealth }> = [];
  readonly transitions: Transition[] = [];
  private wake: (() => void) | undefined;

  onResult(url: string, result: ProbeResult, health: MirrorHealth): void {
    this.results.push({ url, result, health });
    this.wake?.();
  }

  onTransition(url: string, from: MirrorState, to: MirrorState, health: MirrorHealth): void {
    this.transitions.push({ url, from, to, health, at: Date.now() });
    this.wake?.();
  }

  async waitFor(what: string, condition: () => boolean, withinMs = 10_000): Promise<void> {
    const until = Date.now() + withinMs;
    while (!condition()) {
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  lastTo(url: string): MirrorState | undefined {
    return this.transitions.filter((t) => t.url === url).at(-1)?.to;
  }
}

/** Inside a describe(): monitors and servers made by a test are stopped and closed after it, newest first. */
export function monitorHarness(): {
  monitorFor: (events: MonitorEvents, settings?: ProbeSettings) => HealthMonitor;
  closing: <T extends TestServer>(server: T) => T;
  cleanups: Array<() => Promise<void>>;
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const monitorFor = (events: MonitorEvents, settings = FAST): HealthMonitor => {
    const monitor = new HealthMonitor({ settings, events });
    cleanups.push(() => monitor.stop());
    return monitor;
  };
  const closing = <T extends TestServer>(server: T): T => {
    cleanups.push(() => server.close());
    return server;
  };
  return { monitorFor, closing, cleanups };
}
