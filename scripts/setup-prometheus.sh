#!/usr/bin/env bash
# Prometheus's binaries (promtool for the alert rule tests; prometheus itself) from Debian's
# `prometheus` package, unpacked into the cache, never installed (setup-debian-tool.sh says why).
# Prints the directory that holds promtool and prometheus.
exec bash "$(dirname "${BASH_SOURCE[0]}")/setup-debian-tool.sh" prometheus prometheus promtool
