#!/usr/bin/env bash
# Builds a twin of the panteras/paas-in-a-box 0.4.4 image on this machine,
# from the 0.3 twin (tests/support/twin/build.sh: Debian's supervisor 4,
# ZooKeeper, the project's stand-ins): the 0.4.4 image's data files at its
# paths (read from ../shared/image/0.4.4/infrastructure at build time), its
# users (consul 3000, fabio 3001, traefik 3002, marathon 3003; zookeeper
# from Debian's package, owner of /etc/zookeeper as in the image), a
# stand-in for Traefik and for its /opt/supervisord.sh.
#
#   build.sh INFRASTRUCTURE_DIR BASE_IMAGE WORK_DIR TAG
set -euo pipefail
infrastructure=$1 base=$2 work=$3 tag=$4
here=$(cd "$(dirname "$0")" && pwd)
context=$work/context
rm -rf "$context"
mkdir -p "$context"
for file in supervisord.conf fabio.properties traefik.toml panteras.http version; do
    cp "$infrastructure/$file" "$context/$file"
done
cp "$here/supervisord.sh" "$context/supervisord.sh"
cat >"$context/Dockerfile" <<DOCKERFILE
FROM $base
COPY supervisord.conf /etc/supervisord.conf
COPY fabio.properties /opt/fabio/fabio.properties
COPY traefik.toml /opt/traefik/traefik.toml
COPY panteras.http /etc/fabio/errors/panteras.http
COPY version /opt/version
COPY supervisord.sh /opt/supervisord.sh
RUN set -e; \\
    for user in consul:3000:/opt/consul fabio:3001:/opt/fabio traefik:3002:/opt/traefik marathon:3003:/opt/marathon; do \\
        name=\${user%%:*}; rest=\${user#*:}; id=\${rest%%:*}; home=\${rest#*:}; \\
        groupadd -g "\$id" "\$name"; \\
        useradd -u "\$id" -g "\$id" -d "\$home" -s /bin/false -M "\$name"; \\
    done; \\
    chown -R consul:consul /opt/consul; \\
    chown -R zookeeper /etc/zookeeper /var/lib/zookeeper; \\
    mkdir -p /var/log/zookeeper && chown -R zookeeper /var/log/zookeeper; \\
    ln -sf /usr/local/lib/twin/standin.py /opt/traefik/traefik; \\
    chmod 0755 /opt/supervisord.sh; \\
    mkdir -p /tmp/twin && chmod 1777 /tmp/twin
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/registrator:/opt/consul:/opt/fabio:/opt/traefik
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$context" >/dev/null
