// The cluster's DNS servers and domain, as the kubelet on this node knows them (`clusterDNS`,
// `clusterDomain` in its config file), for mirrors named by cluster host names.
// Shaped so: the agent runs on the node, before and beside the kubelet, and the node's own resolver does not
// know cluster names; the kubelet's file is the one place on a node that says where the cluster DNS is. A node
// without the file (not a kubeadm layout, not a node yet) is no error: the agent then uses its own `clusterDNS`
// or the system resolver. The file is read only when a mirror is named by a host name (only then can a cluster
// name, or the cluster domain, matter), and leniently: it is the kubelet's file, written to the kubelet's
// rules (anchors, tags), not the agent's. Only the two keys are judged; the rest is not ours to judge.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import type { DnsSettings } from '../model.js';
import { LIMITS } from './limits.js';
import { readLimited, Vanished, type SourceFile } from './read-sources.js';
import { dnsServerProblem } from './native-schema.js';

const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** Neither `clusterDNS` nor a kubelet file: /etc/resolv.conf's servers and Kubernetes' default domain. */
export const SYSTEM_DNS: DnsSettings = {
  servers: [],
  source: 'system',
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  allowLoopbackAnswers: false,
  maxAddresses: LIMITS.mirrorsPerRegistry,
};

/** The node-owned keys that say how named mirrors are resolved. */
export interface DnsKeys {
  clusterDNS?: string[] | undefined;
  kubeletConfig: string;
  allowLoopbackAnswers: boolean;
}

const kubeletDns = z.looseObject({
  clusterDNS: z.array(z.string().refine((s) => dnsServerProblem(s) === undefined, 'must be IP addresses')).optional(),
  clusterDomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS domain, e.g. cluster.local')
    .optional(),
});

type DnsScreen = Pick<DnsSettings, 'allowLoopbackAnswers' | 'maxAddresses'>;

export interface KubeletDns {
  settings: DnsSettings;
  /** The kubelet file when it was read, so its bytes count in the config hash and a change is noticed. */
  file?: SourceFile;
}

/** The kubelet's file as plain data, anchors resolved and tags ignored; undefined when it is not YAML at all. */
function lenientYaml(bytes: Buffer): unknown {
  const doc = parseDocument(bytes.toString('utf8'), { uniqueKeys: false, prettyErrors: false, logLevel: 'silent' });
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined; // an alias bomb
  }
}

/**
 * `clusterDNS` from the agent's config wins; then the kubelet's; then the system resolver. `needed` false
 * (no mirror is named by a host name): the kubelet's file is not read at all.
 */
export async function dnsSettings(keys: DnsKeys, needed: boolean): Promise<KubeletDns> {
  const { clusterDNS, kubeletConfig } = keys;
  const screen: DnsScreen = { allowLoopbackAnswers: keys.allowLoopbackAnswers, maxAddresses: LIMITS.mirrorsPerRegistry };
  if (!needed) return { settings: fallbackSettings(clusterDNS, undefined, screen) };
  let bytes: Buffer;
  try {
    bytes = await readLimited(kubeletConfig, "kubelet's config file");
  } catch (err) {
    if (!(err instanceof Vanished)) throw err;
    return { settings: fallbackSettings(clusterDNS, undefined, screen) };
  }
  const data = lenientYaml(bytes);
  if (data === undefined)
    throw new AgentError('CMA_CONFIG_SYNTAX', "the kubelet's config file is not valid YAML or JSON", { file: kubeletConfig });
  // An empty file (a hostPath the runtime created for a node without one) says nothing.
  const parsed = kubeletDns.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError('CMA_CONFIG_FIELD', `the kubelet's ${issue?.message ?? 'config is not valid'}`, {
      file: kubeletConfig,
      field: issue?.path.join('.') ?? '',
    });
  }
  const { clusterDNS: kubeletServers, clusterDomain } = parsed.data;
  const file = { path: kubeletConfig, bytes };
  if (clusterDNS === undefined && kubeletServers !== undefined && kubeletServers.length > 0) {
    const domain = clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    return { settings: { servers: kubeletServers, source: 'kubelet', clusterDomain: domain, ...screen }, file };
  }
  return { settings: fallbackSettings(clusterDNS, clusterDomain, screen), file };
}

function fallbackSettings(clusterDNS: string[] | undefined, clusterDomain: string | undefined, screen: DnsScreen): DnsSettings {
  const domain = clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  return clusterDNS === undefined
    ? { servers: [], source: 'system', clusterDomain: domain, ...screen }
    : { servers: clusterDNS, source: 'clusterDNS', clusterDomain: domain, ...screen };
}
