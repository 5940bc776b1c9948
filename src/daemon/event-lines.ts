// The running agent's log lines, worded once: one line per event of the reconcile loop, written for an
// operator reading journalctl. The loop says what happened; this file says it in words. Operators grep these
// texts and the `event` fields: change them only together with the docs.
import type { ApplyResult } from '../apply/apply.js';
import type { CleartextWarning } from '../cleartext-credentials.js';
import type { ProbeResult } from '../health/probe.js';
import type { Resolution } from '../health/resolver.js';
import type { AgentConfig, Logger, MirrorState, RegistryMode } from '../model.js';
import { describeError } from '../observe/logger.js';

export class EventLines {
  /** The cleartext-credential warnings already logged. */
  private warned = new Set<string>();

  constructor(private readonly logger: Logger) {}

  configLoaded({ hash, files }: { hash: string; files: string[] }, config: AgentConfig): void {
    const registries = config.registries.map((r) => r.name);
    this.logger.info(
      { event: 'config_loaded', hash, files, registries },
      `config loaded from ${plural(files.length, 'file')}: ${plural(registries.length, 'registry', 'registries')} (${registries.join(', ') || 'none'}), hash ${hash.slice(0, 12)}`,
    );
  }

  configValidAgain(hash: string): void {
    this.logger.info({ event: 'config_valid_again', hash }, 'config is valid again and equal to the applied one; nothing to do');
  }

  /** `keptHash`: the config still applied, if any. */
  configRejected(lines: string[], keptHash: string | undefined): void {
    const kept = keptHash === undefined ? 'nothing applied yet' : `kept the last good config ${keptHash.slice(0, 12)}`;
    this.logger.error({ event: 'config_rejected', errors: lines }, `config rejected (${kept}): ${lines.join('; ')}`);
  }

  /** Each warning is logged when it first appears, not at every reload; status shows the current ones. */
  credentialsInClear(current: CleartextWarning[]): void {
    for (const { registry, message } of current)
      if (!this.warned.has(message)) this.logger.warn({ event: 'credential_in_clear', registry }, message);
    this.warned = new Set(current.map((w) => w.message));
  }

  filesChanged(result: ApplyResult): void {
    const { logger } = this;
    for (const path of result.backedUp)
      logger.info({ event: 'file_backed_up', path }, `backed up pre-existing ${path} before taking it over`);
    for (const path of result.written) logger.info({ event: 'file_written', path }, `wrote ${path}`);
    for (const path of result.removed) logger.info({ event: 'file_removed', path }, `removed ${path} (registry no longer configured)`);
    for (const path of result.restored) logger.info({ event: 'file_restored', path }, `restored the original ${path}`);
  }

  applyFailed(line: string, retryMs: number): void {
    this.logger.error({ event: 'apply_failed', retryInMs: retryMs }, `apply failed, retrying in ${Math.round(retryMs / 1000)}s: ${line}`);
  }

  stateClaimReasserted(stateDir: string): void {
    this.logger.warn(
      { event: 'state_claim_reasserted', stateDir },
      `the claim on ${stateDir} was gone (was the state dir deleted?); claimed it again before writing`,
    );
  }

  containerdConfigOk(): void {
    this.logger.info({ event: 'containerd_config_ok' }, "containerd's config.toml is in line again");
  }

  containerdConfigRefused(lines: string[]): void {
    this.logger.error(
      { event: 'containerd_config_refused', errors: lines },
      `containerd's config.toml left as it is (hosts.toml files are still managed; CRI pulls use them only once config_path is set): ${lines.join('; ')}`,
    );
  }

  mirrorResolved(url: string, resolution: Resolution): void {
    if (resolution.error === undefined) {
      this.logger.info(
        { event: 'mirror_resolved', mirror: url, name: resolution.name, addresses: resolution.addresses, note: resolution.note },
        `mirror ${url} resolves to ${resolution.addresses.join(', ')}${resolution.note === undefined ? '' : `; ${resolution.note}`}`,
      );
    } else {
      this.logger.warn(
        { event: 'mirror_resolve_failed', mirror: url, name: resolution.name, error: resolution.error },
        `mirror ${url} does not resolve: ${resolution.error}`,
      );
    }
  }

  /** `registries`: those whose written file names the mirror. */
  mirrorState(url: string, from: MirrorState, to: MirrorState, last: ProbeResult | undefined, registries: string[]): void {
    const why =
      last === undefined
        ? ''
        : last.ok
          ? ` (HTTP ${last.status ?? '?'} in ${Math.round(last.durationMs)}ms)`
          : ` (${last.error ?? 'probe failed'})`;
    this.logger[to === 'down' ? 'warn' : 'info'](
      { event: 'mirror_state', mirror: url, from, to, registries },
      `mirror ${url} of ${registries.join(', ') || 'no registry'} is ${to}${why}, was ${from}`,
    );
  }

  /** A registry's first mode: where it starts, not a transition. Only a start off its mirrors is worth a line. */
  registryStarts(registry: string, mode: RegistryMode): void {
    if (mode === 'mirror') return;
    this.logger.info(
      { event: 'registry_mode', registry, mode },
      `${registry} starts ${mode === 'upstream' ? 'upstream-only' : 'degraded (mirror-only)'}: no mirror is proven up yet (boot-safe)`,
    );
  }

  registryModeChanged(registry: string, mode: RegistryMode): void {
    // Both ends of an outage at warning: `journalctl -p warning` shows when pulls left the cache and when they came back.
    this.logger.warn({ event: 'registry_mode', registry, mode }, MODE_MESSAGES[mode](registry));
  }

  internalError(what: string, err: unknown): void {
    this.logger.error({ event: 'internal_error', err }, `internal error in ${what}, continuing: ${describeError(err)}`);
  }
}

const MODE_MESSAGES: Record<RegistryMode, (name: string) => string> = {
  mirror: (name) => `${name} back on its mirror(s)`,
  upstream: (name) => `${name} now upstream-only: no mirror is up`,
  degraded: (name) => `${name} degraded: no mirror is up and it is mirror-only (fallback: false), so its pulls fail until one answers`,
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
