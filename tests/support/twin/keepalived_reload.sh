#!/usr/bin/env bash
# Stands in for the image's /opt/consul-template/keepalived_reload.sh (the
# command consul-template runs after rendering keepalived.conf), written
# from ../shared/image/README.md. What it keeps: it prints the new
# /etc/keepalived/keepalived.conf and restarts keepalived with `service`,
# outside supervisord; a failure of the restart is ignored.
cat /etc/keepalived/keepalived.conf
service keepalived restart || true
