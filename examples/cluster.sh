#!/usr/bin/env bash
# Renders the files of a whole cluster (three masters, two slaves) into
# OUT/<host>/, one directory per host, from restricted.example/: each host
# gets the example's restricted/common and its own restricted/host, whose
# HOSTNAME, FQDN, IP and (on a master) ZOOKEEPER_ID are that host's, so that
# `panteras generate` run there later makes the same files.
# Copy OUT/<host>/ to that host and run `docker compose up -d` there.
# (`panteras cluster` does the same from one inventory: examples/cluster/.)
#
#   examples/cluster.sh [OUT]            (default OUT: cluster)
#   PANTERAS=/path/to/panteras examples/cluster.sh OUT
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-cluster}
panteras=${PANTERAS:-panteras}

masters=(master-1:10.0.0.1 master-2:10.0.0.2 master-3:10.0.0.3)
slaves=(slave-1:10.0.1.1 slave-2:10.0.1.2)

# restricted/host of one host: the example's lines, with this host's
# identity in place of the example host's.
host_file() {
    local role=$1 host=$2 ip=$3 id=$4 line
    echo "# restricted/host of $host (from restricted.example/$role/host)."
    while IFS= read -r line; do
        case $line in
        HOSTNAME=*) echo "HOSTNAME=$host" ;;
        IP=*) echo "IP=$ip" ;;
        ZOOKEEPER_ID=*) echo "ZOOKEEPER_ID=$id" ;;
        "# restricted/host"* | "# ZOOKEEPER_ID on"*) ;;
        *) echo "$line" ;;
        esac
    done <"$here/restricted.example/$role/host"
    echo "FQDN=$host"
}

render() {
    local role=$1 host=$2 ip=$3 id=$4
    mkdir -p "$out/$host/restricted"
    cp "$here/restricted.example/$role/common" "$out/$host/restricted/common"
    host_file "$role" "$host" "$ip" "$id" >"$out/$host/restricted/host"
    "$panteras" generate --dir "$out/$host"
}

id=0
for entry in "${masters[@]}"; do
    id=$((id + 1))
    render master "${entry%%:*}" "${entry#*:}" "$id"
done
for entry in "${slaves[@]}"; do
    render slave "${entry%%:*}" "${entry#*:}" 0
done
