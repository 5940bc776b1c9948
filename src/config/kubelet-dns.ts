// The cluster's DNS servers and domain, as the kubelet on this node knows them (`clusterDNS`,
// `clusterDomain` in its config file), for mirrors named by cluster host names.
// Shaped so: the agent runs on the node, before and beside the kubelet, and the node's own resolver does not
// know cluster names; the kubelet's file is the one place on a node that says where the cluster DNS is. A node
// without the file (not a kubeadm layout, not a node yet) is no error: the agent then uses its own `clusterDNS`
// or the system resolver. Only the two keys are read; the rest of the kubelet's config is not ours to judge.
import { z } from 'zod';
import { AgentError } from '../errors.js';
import type { DnsSettings } from '../model.js';
import { parseConfigFile } from './parse.js';
import { readLimited, Vanished, type SourceFile } from './read-sources.js';
import { dnsServerProblem } from './native-schema.js';

const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** Neither `clusterDNS` nor a kubelet file: /etc/resolv.conf's servers and Kubernetes' default domain. */
export const SYSTEM_DNS: DnsSettings = { servers: [], source: 'system', clusterDomain: DEFAULT_CLUSTER_DOMAIN };

const kubeletDns = z.looseObject({
  clusterDNS: z.array(z.string().refine((s) => dnsServerProblem(s) === undefined, 'must be IP addresses')).optional(),
  clusterDomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS domain, e.g. cluster.local')
    .optional(),
});

export interface KubeletDns {
  settings: DnsSettings;
  /** The kubelet file when it was read, so its bytes count in the config hash and a change is noticed. */
  file?: SourceFile;
}

/** `clusterDNS` from the agent's config wins; then the kubelet's; then the system resolver. */
export async function dnsSettings(clusterDNS: string[] | undefined, kubeletConfig: string): Promise<KubeletDns> {
  let bytes: Buffer;
  try {
    bytes = await readLimited(kubeletConfig, "kubelet's config file");
  } catch (err) {
    if (!(err instanceof Vanished)) throw err;
    return { settings: fallbackSettings(clusterDNS, undefined) };
  }
  const parsed = kubeletDns.safeParse(parseConfigFile(kubeletConfig, bytes, 'yaml'));
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
    return { settings: { servers: kubeletServers, source: 'kubelet', clusterDomain: clusterDomain ?? DEFAULT_CLUSTER_DOMAIN }, file };
  }
  return { settings: fallbackSettings(clusterDNS, clusterDomain), file };
}

function fallbackSettings(clusterDNS: string[] | undefined, clusterDomain: string | undefined): DnsSettings {
  const domain = clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  return clusterDNS === undefined
    ? { servers: [], source: 'system', clusterDomain: domain }
    : { servers: clusterDNS, source: 'clusterDNS', clusterDomain: domain };
}
