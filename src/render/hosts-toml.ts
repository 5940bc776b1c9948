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

const MODE_PLAIN = 0o644;
const MODE_SECRET = 0o600;

/** `<hostsDir>/<host:port>/hosts.toml`, the name as is (a `<host>_<port>_` dir shadows it: see hosts-lookup.ts). */
export function hostsTomlPath(hostsDir: string, registryName: string): string {
  const dir = path.join(hostsDir, registryName);
  // A name that is not one path segment would write outside the registry's own directory.
  if (path.dirname(dir) !== path.join(hostsDir, '.') || path.basename(dir) !== registryName) {
    throw new AgentError('CMA_CONFIG_FIELD', 'registry name must be a single host[:port], not a path', { field: `registries.${registryName}` });
  }
  return path.join(dir, 'hosts.toml');
}

function mirrorTable(mirror: Mirror, facts: ContainerdFacts): TomlTable {
  const table: TomlTable = { capabilities: [...mirror.capabilities], ...tlsKeys(mirror.tls) };
  if (mirror.overridePath) table.override_path = true;
  const ms = mirror.dialTimeoutMs;
  // containerd rejects the whole file on a duration it cannot parse: only whole positive milliseconds.
  if (ms !== undefined && Number.isSafeInteger(ms) && ms > 0 && supportsDialTimeout(facts)) table.dial_timeout = `${ms}ms`;
  const header = authHeader(mirror.auth, mirror.authMode, 'mirror');
  if (header !== undefined) table.header = header;
  return table;
}

/** The upstream written as a host table, so that containerd 1.6/1.7 accept an upstream-only file. */
function upstreamTable(registry: Registry, header: TomlTable | undefined): TomlTable {
  const table: TomlTable = { capabilities: ['pull', 'resolve'], ...tlsKeys(registry.serverTls) };
  if (header !== undefined) table.header = header;
  return table;
}

export function renderHostsToml(registry: Registry, health: HealthView, facts: ContainerdFacts): RenderedFile {
  const upstreamHeader = authHeader(registry.auth, registry.authMode, 'upstream');
  const doc: TomlTable = { server: registry.server, ...tlsKeys(registry.serverTls) };
  if (upstreamHeader !== undefined) doc.header = upstreamHeader;

  const hosts: TomlTable = {};
  const mirrors = activeMirrors(registry, health);
  for (const mirror of mirrors) hosts[mirror.url] = mirrorTable(mirror, facts);
  if (mirrors.length === 0 && rejectsHostlessFile(facts)) hosts[registry.server] = upstreamTable(registry, upstreamHeader);
  const dotted = needsDottedHosts(hosts, facts);
  if (Object.keys(hosts).length > 0 && !dotted) doc.host = hosts;
  const body = dotted ? `${stringify(doc)}\n${dottedHostSection(hosts)}` : stringify(doc);

  const hasSecret = upstreamHeader !== undefined || mirrors.some((m) => authHeader(m.auth, m.authMode, 'mirror') !== undefined);
  return { content: `${OWNER_MARKER}\n${body}`, mode: hasSecret ? MODE_SECRET : MODE_PLAIN };
}
