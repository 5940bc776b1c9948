// The desired state, after loading, merging, dialect conversion and validation. Types only: every other
// room (render, apply, health, daemon) depends on this file and on nothing of config/.

export type Capability = 'pull' | 'resolve' | 'push';

/** A credential as the user gave it, normalised. Never log or print one: see observe/redact.ts. */
export type Credential = { kind: 'basic'; username: string; password: string } | { kind: 'identityToken'; identityToken: string };

/**
 * Where a credential is written. `auto`: a Basic `Authorization` header in hosts.toml for mirrors and for
 * upstreams that accept Basic, config.toml auth for token registries; `header` and `containerd` force one.
 */
export type AuthMode = 'auto' | 'header' | 'containerd';

export interface TlsSettings {
  /** CA bundle paths, written as containerd's `ca`. */
  ca: string[];
  /** Client certificate pairs, written as containerd's `client`. */
  client: Array<{ cert: string; key: string }>;
  skipVerify: boolean;
}

export interface Mirror {
  /** scheme://host[:port][/path], no trailing slash. */
  url: string;
  capabilities: Capability[];
  /** false: never probed, always written. */
  probe: boolean;
  tls: TlsSettings;
  overridePath: boolean;
  /** containerd's per-host `dial_timeout`; written only for containerd versions that know it. */
  dialTimeoutMs?: number;
  auth?: Credential;
  authMode: AuthMode;
  /**
   * Set when the URL names a cluster host (e.g. `registry-cache.kube-system.svc.cluster.local`): the fully
   * qualified name the agent resolves at each probe; the addresses are written, never the name.
   */
  dnsName?: string;
}

export interface Registry {
  /** host[:port] as written in image references, e.g. docker.io or registry.local:5000. */
  name: string;
  /**
   * The upstream, containerd's `server`, e.g. https://registry-1.docker.io. Undefined for `_default`, whose
   * upstream is whichever registry an image names.
   */
  server?: string;
  serverTls: TlsSettings;
  /** In the order containerd must try them, before the server. */
  mirrors: Mirror[];
  auth?: Credential;
  authMode: AuthMode;
  /** false: mirror-only, containerd must never fall back to the upstream. */
  fallback: boolean;
}

/** The DNS servers cluster host names are resolved through, and where they came from. */
export interface DnsSettings {
  /** `IP` or `IP:port`; empty: the system resolver's (/etc/resolv.conf). */
  servers: string[];
  source: 'clusterDNS' | 'kubelet' | 'system';
  /** Names ending in `.svc` are completed with it; names under it are resolved by the agent. */
  clusterDomain: string;
  /** Node-owned `allowLoopbackAnswers`: loopback DNS answers may be written (never by a cluster source). */
  allowLoopbackAnswers: boolean;
  /** Addresses used per name at most: the mirror limit; the rest are reported, never probed. */
  maxAddresses: number;
}

export interface ProbeSettings {
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface AgentConfig {
  hostsDir: string;
  probe: ProbeSettings;
  /** Sorted by name; names are unique. */
  registries: Registry[];
  /** `.dockerconfigjson` files (or directories holding one) to take credentials from, matched by host. */
  credentialFiles: string[];
  /** argv that restarts containerd after a config.toml change it must re-read. */
  restartCommand: string[];
  dns: DnsSettings;
  /**
   * The `ca` and `client` files a cluster source named, path -> text as read with the config: copied into
   * the registry's directory of the hosts dir (render/provided-files.ts), since in the DaemonSet they exist
   * only inside the pod.
   */
  providedFiles?: ReadonlyMap<string, string>;
}

export type MirrorState = 'up' | 'down' | 'unknown';

/** Where a registry's pulls go: its mirrors; upstream only; or nowhere (`degraded`: mirror-only, no mirror up). */
export type RegistryMode = 'mirror' | 'upstream' | 'degraded';

/** Health as render sees it: mirror URL -> state. A URL absent from the map is `unknown`. */
export type HealthView = ReadonlyMap<string, MirrorState>;

/**
 * The addresses a DNS-named mirror resolved to, as the URLs to write (`http://10.96.0.7:5000`), in a stable
 * order, keyed by the mirror's configured URL. A named mirror absent from the map has no address yet.
 */
export type ResolvedView = ReadonlyMap<string, readonly string[]>;

export interface ContainerdVersion {
  major: number;
  minor: number;
  patch: number;
}

/** What render needs to know about the containerd it writes for. `version` undefined = unknown. */
export interface ContainerdFacts {
  version?: ContainerdVersion;
}

export interface RenderedFile {
  content: string;
  /** 0o644, or 0o600 for a file that holds a credential. */
  mode: number;
}

/** Rendered output: absolute path -> exact file content and mode. */
export type RenderedTree = ReadonlyMap<string, RenderedFile>;

/** One structured log call: fields (or an Error) and a message, or a message alone. See observe/logger.ts. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/** The JSON-lines logger every room writes through. */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  /** A logger whose lines also carry `bindings`. */
  child(bindings: Record<string, unknown>): Logger;
  /** Lines are written synchronously to a file descriptor; a stream destination is flushed by the stream. */
  flush(): void;
}
