// What the agent reports about itself (/status, `status`, systemd STATUS=). Types and pure formatting only:
// the caller passes `now`, nothing here reads a clock.

import { ago } from './human-duration.js';
import { redactUrl } from './redact.js';
import type { RegistryMode } from '../model.js';

export interface ProbeSummary {
  ok: boolean;
  /** HTTP status, when the mirror answered. */
  status?: number;
  /** Why the probe failed, e.g. `connect ETIMEDOUT after 1000ms`. */
  error?: string;
  durationMs: number;
  /** ISO 8601. */
  at: string;
}

export interface MirrorStatus {
  url: string;
  /** false: never probed, always written. */
  probe: boolean;
  /** A named mirror: up while any address is up; down when the name does not resolve or every address is down. */
  state: 'up' | 'down' | 'unknown';
  /** When `state` last changed (ISO 8601). */
  since: string;
  lastProbe?: ProbeSummary;
  /** Set for a mirror named by a cluster host name: the fully qualified name the agent resolves. */
  name?: string;
  /** When the name was last answered for, or last failed (ISO 8601). */
  resolvedAt?: string;
  /** Why the name gives no address: NXDOMAIN, timeout, no server, every answer refused. */
  resolveError?: string;
  /** Answers refused (loopback, link-local, ...) or past the mirror limit: never probed or written. */
  resolveNote?: string;
  /** The addresses the name resolved to, in the order written, each probed on its own. */
  addresses?: AddressStatus[];
}

export interface AddressStatus {
  /** The URL written for this address, e.g. http://10.96.0.7:5000. */
  url: string;
  state: 'up' | 'down' | 'unknown';
  since: string;
  /** In the hosts.toml now: up, or a mirror-only registry's (written whatever its health). */
  written: boolean;
  lastProbe?: ProbeSummary;
}

export interface RegistryStatus {
  name: string;
  /**
   * `upstream`: the hosts.toml lists no mirror, containerd goes to `server` directly. `degraded`: a
   * mirror-only registry (`fallback: false`) with no mirror up: its mirrors stay written, pulls fail.
   */
  mode: RegistryMode;
  since: string;
  /** Absent for `_default`: each image's own registry is its upstream. */
  server?: string;
  mirrors: MirrorStatus[];
}

export interface AgentStatus {
  version: string;
  pid: number;
  startedAt: string;
  ready: boolean;
  hostsDir: string;
  registries: RegistryStatus[];
  /** clusterFiles: those of `files` read from cluster-provided sources (--cluster-config). */
  config: { hash?: string; files: string[]; clusterFiles?: string[]; loadedAt?: string; lastError?: string; lastErrorAt?: string };
  lastApply?: { at: string; written: number; removed: number; error?: string };
  containerd: {
    /** containerd's version as the agent detected it; null when unknown. */
    version: string | null;
    /** The canary's verdict: containerd reads the hosts dir (true), does not (false), or could not be asked (null). */
    hostsInEffect: boolean | null;
    checkedAt?: string;
    /** Why hostsInEffect is false or null, in one line. */
    reason?: string;
    restartPending: boolean;
    restartReason?: string;
    lastError?: string;
    lastRestartAt?: string;
  };
  /** Things that work but should not be left so (a credential sent over plain http), one per registry. */
  warnings: string[];
}

const ERROR_IN_SUMMARY_MAX = 120;

/** The human table printed by `containerd-mirror-agent status`. */
export function formatStatusTable(status: AgentStatus, now: Date): string {
  const lines = [
    `containerd-mirror-agent ${status.version} (pid ${status.pid}, up ${ago(status.startedAt, now)}): ${status.ready ? 'ready' : 'NOT READY'}`,
    ...alignColumns(headerRows(status, now)),
    '',
    ...alignColumns([['REGISTRY', 'MODE', 'SINCE', 'MIRROR', 'STATE', 'SINCE', 'LAST PROBE'], ...registryRows(status, now)]),
  ];
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}

function headerRows(status: AgentStatus, now: Date): string[][] {
  const { config, lastApply, containerd } = status;
  const rows: string[][] = [['hosts dir:', status.hostsDir]];
  const cluster = new Set(config.clusterFiles ?? []);
  const files = config.files.length === 0 ? 'no files' : config.files.map((f) => (cluster.has(f) ? `${f} (cluster)` : f)).join(', ');
  const hash = config.hash === undefined ? 'none applied' : config.hash.replace(/^sha256:/, '').slice(0, 12);
  rows.push(['config:', `${hash} from ${files}${config.loadedAt === undefined ? '' : `, loaded ${ago(config.loadedAt, now)} ago`}`]);
  if (config.lastError !== undefined) {
    rows.push(['config error:', `${oneLine(config.lastError)} (${ago(config.lastErrorAt, now)} ago; the last good config stays applied)`]);
  }
  if (lastApply === undefined) rows.push(['last apply:', 'never']);
  else if (lastApply.error !== undefined) rows.push(['last apply:', `FAILED ${ago(lastApply.at, now)} ago: ${oneLine(lastApply.error)}`]);
  else rows.push(['last apply:', `${ago(lastApply.at, now)} ago, ${lastApply.written} written, ${lastApply.removed} removed`]);
  const restarted =
    containerd.lastRestartAt === undefined ? 'never restarted by the agent' : `restarted ${ago(containerd.lastRestartAt, now)} ago`;
  const pending = containerd.restartPending
    ? `RESTART PENDING${containerd.restartReason === undefined ? '' : ` (${oneLine(containerd.restartReason)})`}; `
    : '';
  const failed = containerd.lastError === undefined ? '' : `; last restart FAILED: ${oneLine(containerd.lastError)}`;
  rows.push(['containerd:', `${containerd.version ?? 'version unknown'}; ${pending}${restarted}${failed}`]);
  rows.push(['hosts in effect:', hostsInEffectText(containerd, now)]);
  for (const warning of status.warnings) rows.push(['warning:', oneLine(warning)]);
  return rows;
}

function hostsInEffectText(c: AgentStatus['containerd'], now: Date): string {
  const when = c.checkedAt === undefined ? 'not checked yet' : `checked ${ago(c.checkedAt, now)} ago`;
  if (c.hostsInEffect === true) return `yes (${when}: a canary pull went through the hosts dir)`;
  const verdict = c.hostsInEffect === false ? 'NO' : 'unknown';
  return `${verdict} (${when}${c.reason === undefined ? '' : `: ${oneLine(c.reason)}`})`;
}

function registryRows(status: AgentStatus, now: Date): string[][] {
  if (status.registries.length === 0) return [['(no registries configured)']];
  return status.registries.flatMap((r) => {
    const head = [r.name, modeWord(r.mode), ago(r.since, now)];
    if (r.mirrors.length === 0) return [[...head, '-']];
    return r.mirrors.map((m, i) => [...(i === 0 ? head : ['', '', '']), ...mirrorCells(m, now)]);
  });
}

function mirrorCells(m: MirrorStatus, now: Date): string[] {
  if (!m.probe) return [redactUrl(m.url), 'not probed', '-', '-'];
  if (m.name !== undefined) return [redactUrl(m.url), m.state, ago(m.since, now), resolutionText(m, now)];
  return [redactUrl(m.url), m.state, ago(m.since, now), probeText(m.lastProbe, now)];
}

/** e.g. `-> 10.96.0.7 up, 10.96.0.8 down (resolved 2s ago)` or `NXDOMAIN: ... (5s ago)`. */
function resolutionText(m: MirrorStatus, now: Date): string {
  const when = m.resolvedAt === undefined ? 'not resolved yet' : `resolved ${ago(m.resolvedAt, now)} ago`;
  if (m.resolveError !== undefined) return `${oneLine(m.resolveError)} (${when})`;
  const addresses = (m.addresses ?? []).map((a) => `${mirrorHost(a.url)} ${a.state}${a.written ? '' : ' (not written)'}`);
  const note = m.resolveNote === undefined ? '' : `; ${oneLine(m.resolveNote)}`;
  return `-> ${addresses.join(', ') || 'no address'} (${when}${note})`;
}

function probeText(p: ProbeSummary | undefined, now: Date): string {
  if (p === undefined) return '-';
  const what = p.ok ? String(p.status ?? 'ok') : oneLine(p.error ?? `HTTP ${p.status ?? '?'}`);
  return `${what} (${Math.round(p.durationMs)}ms, ${ago(p.at, now)} ago)`;
}

/**
 * One line for systemd's STATUS=, e.g. `2 registries: docker.io mirror, ghcr.io upstream-only (cache down 3m)`;
 * a rejected config, a pending containerd restart and hosts not in effect are appended.
 */
export function summaryLine(status: AgentStatus, now: Date): string {
  const n = status.registries.length;
  const regs = status.registries.map((r) => `${r.name} ${modeWord(r.mode)}${unhealthyMirrors(r, now)}`);
  const parts = [`${n} ${n === 1 ? 'registry' : 'registries'}${n === 0 ? '' : `: ${regs.join(', ')}`}`];
  if (!status.ready) parts.unshift('not ready');
  if (status.config.lastError !== undefined)
    parts.push(`config rejected: ${truncate(oneLine(status.config.lastError), ERROR_IN_SUMMARY_MAX)}`);
  if (status.containerd.restartPending) parts.push('containerd restart pending');
  if (status.containerd.hostsInEffect === false) parts.push('containerd does NOT use the hosts dir');
  return parts.join('; ');
}

function unhealthyMirrors(r: RegistryStatus, now: Date): string {
  const bad = r.mirrors.filter((m) => m.probe && m.state !== 'up').map((m) => `${mirrorHost(m.url)} ${m.state} ${ago(m.since, now)}`);
  return bad.length === 0 ? '' : ` (${bad.join(', ')})`;
}

function mirrorHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return redactUrl(url);
  }
}

function modeWord(mode: RegistryStatus['mode']): string {
  return mode === 'upstream' ? 'upstream-only' : mode;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
}
