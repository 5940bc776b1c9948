// Where containerd looks for a registry's hosts.toml, in its order (remotes/docker/config/hosts.go, hostPaths):
// `<host>_<port>_` first, then `<host>:<port>`, then `_default`. The agent writes `<host>:<port>`, so anything
// at the first name wins: containerd only stats it, and reads certificates from it when it holds no hosts.toml.
// Verified on containerd 1.6.20 (test/acceptance/shadow-dir.test.ts).

/** The name containerd tries before `registryName`, or undefined when it tries `registryName` first. */
export function shadowingDirName(registryName: string): string | undefined {
  // containerd's own rule, kept as is: the last `:` becomes `_` and a `_` is appended.
  const colon = registryName.lastIndexOf(':');
  return colon > 0 ? `${registryName.slice(0, colon)}_${registryName.slice(colon + 1)}_` : undefined;
}
