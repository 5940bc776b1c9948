// One registry's hosts.toml. Pure: the same registry, health and facts always give the same bytes.
// Every user string reaches the file through smol-toml's stringify, never through concatenation.
import path from 'node:path';
import { stringify, type TomlTable } from 'smol-toml';
import { AgentError } from '../errors.js';
import type { ContainerdFacts, HealthView, Mirror, RenderedFile, Registry } from '../model.js';
import { OWNER_MARKER } from '../ownership.js';
import { rejectsHostlessFile, supportsDialTimeout } from './containerd-version.js';
import { dottedHostSection, needsDottedHosts } from './dotted-hosts.js';
import { authHeader } from './header.js';
import { activeMirrors } from './mirrors.js';
import { tlsKeys } from './tls.js';
import { FilePlacer } from './provided-files.js';

const MODE_PLAIN = 0o644;
const MODE_SECRET = 0o600;

/** `<hostsDir>/<host:port>/hosts.toml`, the name as is (a `<host>_<port>_` dir shadows it: see hosts-lookup.ts). */
export function hostsTomlPath(hostsDir: string, registryName: string): string {
  const dir = path.join(hostsDir, registryName);
  // A name that is not one path segment would write outside the registry's own directory.
  if (path.dirname(dir) !== path.join(hostsDir, '.') || path.basename(dir) !== registryName) {
    throw new AgentError('CMA_CONFIG_FIELD', 'registry name must be a single host[:port], not a path', {
      field: `registries.${registryName}`,
    });
  }
  return path.join(dir, 'hosts.toml');
}

function mirrorTable(mirror: Mirror, facts: ContainerdFacts, placer: FilePlacer): TomlTable {
  const table: TomlTable = { capabilities: [...mirror.capabilities], ...tlsKeys(mirror.tls, placer) };
  if (mirror.overridePath) table.override_path = true;
  const ms = mirror.dialTimeoutMs;
  // containerd rejects the whole file on a duration it cannot parse: only whole positive milliseconds.
  if (ms !== undefined && Number.isSafeInteger(ms) && ms > 0 && supportsDialTimeout(facts)) table.dial_timeout = `${ms}ms`;
  const header = authHeader(mirror.auth, mirror.authMode, 'mirror');
  if (header !== undefined) table.header = header;
  return table;
}

/** The upstream written as a host table, so that containerd 1.6/1.7 accept a file without mirrors. */
function upstreamTable(registry: Registry, header: TomlTable | undefined, placer: FilePlacer): TomlTable {
  const table: TomlTable = { capabilities: ['pull', 'resolve'], ...tlsKeys(registry.serverTls, placer) };
  if (header !== undefined) table.header = header;
  return table;
}

/**
 * The file's root: containerd's `server`, which it always tries last. Normally the upstream. A mirror-only
 * registry names its last mirror there instead, since a file without `server` still falls back to the
 * registry itself (measured on containerd 1.6.20 and 2.1.9; containerd still sends that mirror `ns=`).
 * `_default` has no upstream of its own: without `server`, each image's own registry is the fallback.
 */
function rootOf(
  registry: Registry,
  serverMirror: Mirror | undefined,
  upstreamHeader: TomlTable | undefined,
  facts: ContainerdFacts,
  placer: FilePlacer,
) {
  if (serverMirror !== undefined)
    return { url: serverMirror.url, settings: mirrorTable(serverMirror, facts, placer), table: mirrorTable(serverMirror, facts, placer) };
  if (registry.server === undefined) return undefined;
  const settings: TomlTable = tlsKeys(registry.serverTls, placer);
  if (upstreamHeader !== undefined) settings.header = upstreamHeader;
  return { url: registry.server, settings, table: upstreamTable(registry, upstreamHeader, placer) };
}

/** `placer`: where the registry's cluster-provided ca and client files are copied (provided-files.ts). */
export function renderHostsToml(registry: Registry, health: HealthView, facts: ContainerdFacts, placer = new FilePlacer('')): RenderedFile {
  const mirrors = activeMirrors(registry, health);
  const serverMirror = registry.fallback ? undefined : mirrors.at(-1);
  const upstreamHeader = serverMirror === undefined ? authHeader(registry.auth, registry.authMode, 'upstream') : undefined;
  const root = rootOf(registry, serverMirror, upstreamHeader, facts, placer);
  const doc: TomlTable = root === undefined ? {} : { server: root.url, ...root.settings };

  const hosts: TomlTable = {};
  for (const mirror of serverMirror === undefined ? mirrors : mirrors.slice(0, -1)) hosts[mirror.url] = mirrorTable(mirror, facts, placer);
  if (Object.keys(hosts).length === 0 && root !== undefined && rejectsHostlessFile(facts)) hosts[root.url] = root.table;
  const dotted = needsDottedHosts(hosts, facts);
  if (Object.keys(hosts).length > 0 && !dotted) doc.host = hosts;
  const body = dotted ? `${stringify(doc)}\n${dottedHostSection(hosts)}` : stringify(doc);

  const hasSecret = upstreamHeader !== undefined || mirrors.some((m) => authHeader(m.auth, m.authMode, 'mirror') !== undefined);
  return { content: `${OWNER_MARKER}\n${body}`, mode: hasSecret ? MODE_SECRET : MODE_PLAIN };
}
