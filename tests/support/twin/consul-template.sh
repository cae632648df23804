#!/usr/bin/env bash
# Stands in for the image's /opt/consul-template/consul-template.sh (the
# program consul-template_haproxy, run from /opt/consul-template), written
# from ../shared/image/README.md. What it keeps: the reload script runs once
# without an argument, so HAProxy serves the base file before any template
# is rendered; then consul-template runs in the background with
# CONSUL_TEMPLATE_APP_PARAMS split on blanks (unquoted, as the image does)
# and is waited for. On TERM or INT the reload script runs with `cleanup`,
# consul-template gets TERM, and this script exits with its status.
cd "$(dirname "$0")" || exit 1
./haproxy_reload.sh

stop() {
    ./haproxy_reload.sh cleanup
    kill -TERM "$template" 2>/dev/null
    wait "$template"
    exit $?
}

# shellcheck disable=SC2086 # split on blanks, as the image does
consul-template $CONSUL_TEMPLATE_APP_PARAMS &
template=$!
trap stop TERM INT
wait "$template"
