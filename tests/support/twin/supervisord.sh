#!/usr/bin/env bash
# Stands in for the image's /opt/supervisord.sh (the container's command),
# written from ../shared/image/README.md. What it keeps: with HOST_IP set it
# replaces itself with `supervisord -c /etc/supervisord.conf`, so that
# supervisord is the container's first process; without HOST_IP it prints
# how to start the container and exits with status 1.
if [ -z "${HOST_IP:-}" ]; then
    echo "HOST_IP is not set: start this container from a docker-compose.yml that sets it (panteras generate writes one)" >&2
    exit 1
fi
exec supervisord -c /etc/supervisord.conf
