// Registry names and endpoint URLs. A registry name becomes a directory under the hosts dir and a TOML
// table key, so anything that is not a plain host[:port] is refused here rather than escaped later.
import { isIPv4, isIPv6 } from 'node:net';

const NAME_MAX = 255;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** containerd's own name for the hosts.toml of every registry that has no file of its own. */
export const DEFAULT_REGISTRY = '_default';

/** Why `name` is not a valid registry host[:port], or undefined when it is. Never echoes the name. */
export function registryNameProblem(name: string, what = 'registry name'): string | undefined {
  if (name === '') return `${what} is empty`;
  if (name === DEFAULT_REGISTRY && what === 'registry name') return undefined;
  if (name === '*') return 'the `*` wildcard is not supported: name the registry `_default` for every registry without its own entry';
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(name)) return `${what} contains whitespace or control characters`;
  if (/[/\\]/.test(name) || name.includes('..')) return `${what} must be host[:port], without \`/\`, \`\\\` or \`..\``;
  if (name !== name.toLowerCase()) return `${what} must be lowercase, as image references write it`;
  const match = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(name);
  if (!match && (isIPv6(name) || isIPv6(name.replace(/:\d{1,5}$/, ''))))
    return `${what} must write an IPv6 address in brackets, as image references do: [fd00::1]:5000`;
  if (!match) return `${what} must be host[:port]`;
  const [, host = '', port] = match;
  if (port !== undefined && portProblem(port) !== undefined) return portProblem(port);
  // The name is a directory under the hosts dir, and containerd also looks up `host_port_`, one byte longer:
  // either must fit one file name (NAME_MAX), or every apply fails with ENAMETOOLONG.
  if (Buffer.byteLength(name) + (port === undefined ? 0 : 1) > NAME_MAX) {
    return `${what} is too long: as a directory name (\`host_port_\` form included) it must fit ${NAME_MAX} bytes`;
  }
  if (host.startsWith('[')) return isIPv6(host.slice(1, -1)) ? undefined : `${what} has an invalid IPv6 address`;
  if (isIPv4(host)) return undefined;
  if (host.length > 253) return `${what} is longer than 253 characters`;
  const labels = host.split('.');
  if (labels.some((l) => l === '')) return `${what} has an empty label (\`..\`, or a leading or trailing dot)`;
  if (!labels.every((l) => LABEL.test(l))) return `${what} labels must be a-z, 0-9 and inner \`-\`, at most 63 characters`;
  // URL parsers read `10.1` or `0` as an IPv4 address: a name like that would not mean what it says.
  if (/^\d+$/.test(labels.at(-1) ?? '')) return `${what} ends in a numeric label but is not an IPv4 address`;
  return undefined;
}

function portProblem(port: string): string | undefined {
  if (!/^\d{1,5}$/.test(port)) return 'port must be a number';
  const n = Number(port);
  return n >= 1 && n <= 65535 ? undefined : 'port is out of range (1-65535)';
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The upstream containerd talks to by default: docker.io is served by registry-1.docker.io. */
export function defaultServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** Host names under which one registry is known: Docker Hub answers to three. */
export function hostAliases(host: string): string[] {
  return DOCKER_HUB_HOSTS.has(host) ? [...DOCKER_HUB_HOSTS] : [host];
}

/**
 * The fully qualified name the agent resolves for a mirror host, or undefined when containerd is left to
 * resolve it (an IP address, or a name outside the cluster: the node's own resolver knows it, and an https
 * mirror keeps its name for certificate checks). A `.svc` name is completed with the cluster domain.
 */
export function clusterDnsName(hostname: string, clusterDomain: string): string | undefined {
  const bare = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (isIPv4(bare) || isIPv6(bare)) return undefined;
  if (bare.endsWith('.svc')) return `${bare}.${clusterDomain}`;
  return bare.endsWith(`.${clusterDomain}`) ? bare : undefined;
}

/** Why `text` is not an endpoint URL we can hand to containerd, or undefined. Never echoes the URL. */
export function endpointUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // `http://fd00::1:5000`: the colons of an IPv6 address read as a port to every URL parser.
    const authority = /^[a-z]+:\/\/([^/]*)/i.exec(text)?.[1] ?? '';
    if (!authority.includes('[') && authority.split(':').length > 2) {
      return 'not a URL: an IPv6 address goes in brackets, e.g. http://[fd00::1]:5000';
    }
    return 'not a URL: write scheme://host[:port][/path], e.g. http://10.96.0.50:5000';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'URL scheme must be http or https';
  if (url.hostname === '') return 'URL has no host';
  if (url.username !== '' || url.password !== '') return 'URL must not hold credentials: use `auth` instead';
  if (text.includes('?') || text.includes('#')) return 'URL must not have a query or fragment';
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f"\\]/.test(text)) return 'URL contains whitespace, quotes, backslashes or control characters';
  return undefined;
}

/** scheme://host[:port][/path], no trailing slash; call only when endpointUrlProblem said yes. */
export function normalizeEndpointUrl(text: string): string {
  const url = new URL(text);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}
