#!/usr/bin/env bash
# Alertmanager's binaries (amtool, to check monitoring/alertmanager.example.yml and test its
# routes; the daemon, which Debian names prometheus-alertmanager) from Debian's
# `prometheus-alertmanager` package, unpacked into the cache, never installed
# (setup-debian-tool.sh says why). Prints the directory that holds them.
exec bash "$(dirname "${BASH_SOURCE[0]}")/setup-debian-tool.sh" prometheus-alertmanager alertmanager amtool
