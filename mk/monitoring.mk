# Alerts and dashboard (issue 24). packaging/prometheus/alerts.yaml is the source; prometheusrule.yaml is generated
# from it (test/packaging/observability.test.ts fails while they differ); promtool (Debian's prometheus package,
# from `make test-deps`) runs alerts.test.yaml in test/packaging/monitoring.slow.test.ts, part of `make test`.
.PHONY: update-prometheus-rule test-monitoring

update-prometheus-rule: node_modules/.installed
	UPDATE_GOLDEN=1 $(NODE_TEST) test/packaging/observability.test.ts

test-monitoring: node_modules/.installed test-deps
	$(NODE_TEST) test/packaging/observability.test.ts test/packaging/monitoring.slow.test.ts
