#!/usr/bin/env bash
# Builds a twin of the panteras/paas-in-a-box 0.3.x image on this machine:
# a minimal Debian from debootstrap with Debian's supervisor, HAProxy,
# ZooKeeper, dnsmasq, keepalived, iptables and procps; ctmpl-render as
# consul-template 0.18.2 (../shared/tools); the image's data files and
# layout (read from ../shared/image/0.3.9/infrastructure at build time);
# the project's stand-ins for the image's scripts (beside this file, each
# written from ../shared/image/README.md); and recording stand-ins for the
# daemons Debian does not package. Imported with `docker import`.
#
#   build.sh INFRASTRUCTURE_DIR CTMPL_RENDER WORK_DIR TAG
#
# WORK_DIR keeps the debootstrap tree between builds.
set -euo pipefail
infrastructure=$1 ctmpl_render=$2 work=$3 tag=$4
here=$(cd "$(dirname "$0")" && pwd)
rootfs=$work/rootfs

if [ ! -e "$work/debootstrap.done" ]; then
    rm -rf "$rootfs"
    mkdir -p "$work"
    debootstrap --variant=minbase \
        --include=supervisor,haproxy,dnsmasq-base,keepalived,iptables,procps,python3,zookeeper,iproute2 \
        bookworm "$rootfs" http://deb.debian.org/debian
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb
    touch "$work/debootstrap.done"
fi

# The image's data files, where its Dockerfile puts them.
put() { install -D -m "$1" "$infrastructure/$2" "$rootfs/$3"; }
put 0644 supervisord.conf etc/supervisord.conf
put 0644 haproxy.cfg opt/consul-template/haproxy.cfg
put 0644 haproxy.cfg.ctmpl opt/consul-template/haproxy.cfg.ctmpl
put 0644 keepalived.conf.ctmpl opt/consul-template/keepalived.conf.ctmpl
put 0644 haproxy.cfg etc/haproxy/haproxy.cfg
put 0644 haproxy.pem etc/haproxy/haproxy.pem
put 0644 panteras.http etc/haproxy/errors/panteras.http
put 0644 fabio.properties opt/fabio/fabio.properties
put 0644 version opt/version
# The stand-ins for the image's scripts, at the image's paths.
own() { install -D -m 0755 "$1" "$rootfs/$2"; }
own "$here/supervisord.sh" opt/supervisord.sh
own "$here/consul-template.sh" opt/consul-template/consul-template.sh
own "$here/haproxy_reload.sh" opt/consul-template/haproxy_reload.sh
own "$here/../haproxy_configure.sh" opt/consul-template/haproxy_configure.sh
own "$here/keepalived_reload.sh" opt/consul-template/keepalived_reload.sh
own "$here/zkStart.sh" opt/zkStart.sh
mkdir -p "$rootfs/opt/consul/data" "$rootfs/opt/registrator" "$rootfs/tmp/twin" "$rootfs/etc/dnsmasq.d"
# ZooKeeper as the image's Ubuntu package (3.4) lays it out: data in
# /var/lib/zookeeper, whose myid links to the conf's (zkStart.sh writes it),
# and no admin server (3.5 and later start one on port 8080 of every
# address). The conf link is absolute: edit the file it names in the tree.
zoo_cfg="$rootfs/etc/zookeeper/conf_example/zoo.cfg"
sed -i 's|^dataDir=.*|dataDir=/var/lib/zookeeper|' "$zoo_cfg"
grep -q '^admin.enableServer=' "$zoo_cfg" || echo 'admin.enableServer=false' >>"$zoo_cfg"
# 3.4 answers every four-letter word (ruok, srvr, ...); 3.5 and later only
# those listed.
grep -q '^4lw.commands.whitelist=' "$zoo_cfg" || echo '4lw.commands.whitelist=*' >>"$zoo_cfg"
# The package's myid holds a sentence, which ZooKeeper 3.4 (the image's)
# ignores on a standalone server and 3.8 refuses: a standalone server
# (ZOOKEEPER_ID=0, for which zkStart.sh writes nothing) finds 0 there.
echo 0 >"$rootfs/etc/zookeeper/conf_example/myid"
ln -sf /etc/zookeeper/conf/myid "$rootfs/var/lib/zookeeper/myid"
ln -sf /usr/sbin/haproxy "$rootfs/usr/sbin/haproxy_a"
ln -sf /usr/sbin/haproxy "$rootfs/usr/sbin/haproxy_b"
install -m 0755 "$ctmpl_render" "$rootfs/opt/consul-template/consul-template"

# Stand-ins where the image has programs Debian does not package.
install -D -m 0755 "$here/standin.py" "$rootfs/usr/local/lib/twin/standin.py"
install -D -m 0755 "$ctmpl_render" "$rootfs/usr/local/lib/twin/ctmpl-render"
install -D -m 0644 "$here/catalog.json" "$rootfs/usr/local/lib/twin/catalog.json"
install -D -m 0644 "$here/supervisor_stdout.py" "$rootfs/usr/local/lib/python3/dist-packages/supervisor_stdout.py"
site=$(ls -d "$rootfs"/usr/lib/python3/dist-packages)
ln -sf /usr/local/lib/python3/dist-packages/supervisor_stdout.py "$site/supervisor_stdout.py"
printf '#!/usr/bin/python3\nfrom supervisor_stdout import main\nmain()\n' >"$rootfs/usr/local/bin/supervisor_stdout"
chmod 0755 "$rootfs/usr/local/bin/supervisor_stdout"
for path in opt/consul/consul usr/local/bin/mesos-master usr/local/bin/mesos-slave \
    usr/local/bin/marathon opt/registrator/registrator opt/fabio/fabio usr/bin/chronos \
    opt/netdata/usr/sbin/netdata; do
    mkdir -p "$(dirname "$rootfs/$path")"
    ln -sf /usr/local/lib/twin/standin.py "$rootfs/$path"
done

tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/consul:/opt/consul-template:/opt/registrator:/opt/fabio' \
    -c 'ENV DOCKER_HOST=unix:///tmp/docker.sock' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'WORKDIR /opt' \
    -c 'CMD ["/opt/supervisord.sh"]' \
    - "$tag" >/dev/null
