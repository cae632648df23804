#!/usr/bin/env bash
# Provisions one PanteraS virtual machine: Docker, the panteras binary, this
# host's files, then the container.
#
#   provision.sh standalone          the single box (hostname standalone, 192.168.10.10)
#   provision.sh cluster HOST        HOST of cluster/cluster.yaml
#
# Environment (the defaults suit the Vagrantfiles):
#   PANTERAS_SRC    the repository, shared into the VM     (/vagrant)
#   PANTERAS_BIN    the panteras binary to install         (the glibc 2.17 build under
#                                                           $PANTERAS_SRC/target if there, else
#                                                           $PANTERAS_SRC/target/release/panteras)
#   PANTERAS_BINDIR where to install it                    (/usr/local/bin)
#   PANTERAS_ROOT   where the host's files go              (/opt/panteras)
#   PANTERAS_STEPS  which steps to run                     (system panteras start)
set -euo pipefail

role=${1:?usage: provision.sh standalone | provision.sh cluster HOST}
host=${2:-standalone}
src=${PANTERAS_SRC:-/vagrant}
portable=$src/target/x86_64-unknown-linux-gnu/release/panteras
if [ -x "$portable" ]; then
    bin=${PANTERAS_BIN:-$portable}
else
    bin=${PANTERAS_BIN:-$src/target/release/panteras}
fi
bindir=${PANTERAS_BINDIR:-/usr/local/bin}
root=${PANTERAS_ROOT:-/opt/panteras}
steps=${PANTERAS_STEPS:-system panteras start}

# Docker and Compose from the distribution.
install_system() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends docker.io docker-compose
    systemctl enable --now docker
}

# The binary, then this host's restricted/ and generated files.
install_panteras() {
    if [ ! -x "$bin" ]; then
        echo "provision.sh: no panteras binary at $bin; build it first (see examples/vagrant/README.md)" >&2
        exit 1
    fi
    install -D -m 0755 "$bin" "$bindir/panteras"
    case "$role" in
        standalone)
            mkdir -p "$root/restricted"
            "$bindir/panteras" generate --dir "$root" --ip 192.168.10.10 \
                --set HOSTNAME=standalone --set FQDN=standalone \
                --set PANTERAS_RESTART=unless-stopped
            ;;
        cluster)
            # Every VM renders the whole inventory and keeps its own host.
            "$bindir/panteras" cluster --quiet \
                --inventory "$src/examples/vagrant/cluster/cluster.yaml" --out "$root/hosts"
            if [ ! -d "$root/hosts/$host" ]; then
                echo "provision.sh: $host is not a host of cluster.yaml" >&2
                exit 1
            fi
            ln -sfn "hosts/$host" "$root/current"
            ;;
        *)
            echo "provision.sh: unknown role $role (standalone or cluster)" >&2
            exit 2
            ;;
    esac
}

# The container, from the host's compose file.
start_panteras() {
    local dir=$root
    if [ "$role" = cluster ]; then
        dir=$root/current
    fi
    (cd "$dir" && docker-compose up -d)
}

for step in $steps; do
    case "$step" in
        system) install_system ;;
        panteras) install_panteras ;;
        start) start_panteras ;;
        *)
            echo "provision.sh: unknown step $step (system, panteras, start)" >&2
            exit 2
            ;;
    esac
done
