// packaging/prometheus/prometheusrule.yaml is alerts.yaml's groups, word for word (comments included), under a
// PrometheusRule's spec: the operator's install and the plain rules file cannot drift apart.
export const PROMETHEUS_RULE = 'packaging/prometheus/prometheusrule.yaml';

const HEADER = `# Generated from alerts.yaml (\`make update-prometheus-rule\`): edit alerts.yaml, not this file.
# The alerts as a PrometheusRule for the Prometheus Operator. If your Prometheus selects rules by label
# (kube-prometheus-stack: release=<its release name>), add that label below.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: containerd-mirror-agent
  namespace: containerd-mirror-agent
  labels:
    app.kubernetes.io/name: containerd-mirror-agent
spec:
`;

/** The PrometheusRule text for the rules file `alerts`: its `groups:` on, indented under `spec:`. */
export function prometheusRule(alerts: string): string {
  const start = alerts.search(/^groups:/m);
  if (start < 0) throw new Error('alerts.yaml has no top-level groups:');
  const body = alerts
    .slice(start)
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
  return HEADER + body;
}
