#!/usr/bin/env bash
# Stands in for the image's /opt/supervisord.sh of 0.4.4 (the container's
# command), written from ../shared/image/README.md. What it keeps: without
# HOST_IP it prints how to start the container and exits 0; with it, it
# gives /opt/consul/data to consul and /var/lib/zookeeper to zookeeper (bind
# mounts: the host's folders change owner too) and replaces itself with
# `supervisord -c /etc/supervisord.conf`. Left out: the delayed job that
# stores the no-route page in Consul's key/value store (the Consul stand-in
# has none).
if [ -z "${HOST_IP:-}" ]; then
    echo "HOST_IP is not set: start this container from a docker-compose.yml that sets it (panteras generate writes one)"
    exit 0
fi
chown -R consul:consul /opt/consul/data/
chown -R zookeeper /var/lib/zookeeper/
exec supervisord -c /etc/supervisord.conf
