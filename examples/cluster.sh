#!/usr/bin/env bash
# Renders the files of a whole cluster (three masters, two slaves) into
# OUT/<host>/, one directory per host, from restricted.example/.
# Copy OUT/<host>/ to that host and run `docker compose up -d` there.
#
#   examples/cluster.sh [OUT]            (default OUT: cluster)
#   PANTERAS=/path/to/panteras examples/cluster.sh OUT
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-cluster}
panteras=${PANTERAS:-panteras}

masters=(master-1:10.0.0.1 master-2:10.0.0.2 master-3:10.0.0.3)
slaves=(slave-1:10.0.1.1 slave-2:10.0.1.2)

render() {
    local role=$1 host=$2 ip=$3
    shift 3
    mkdir -p "$out/$host/restricted"
    cp "$here/restricted.example/$role/common" "$out/$host/restricted/common"
    cp "$here/restricted.example/$role/host" "$out/$host/restricted/host"
    "$panteras" generate --dir "$out/$host" \
        --set "HOSTNAME=$host" --set "FQDN=$host" --ip "$ip" "$@"
}

id=0
for entry in "${masters[@]}"; do
    id=$((id + 1))
    render master "${entry%%:*}" "${entry#*:}" --set "ZOOKEEPER_ID=$id"
done
for entry in "${slaves[@]}"; do
    render slave "${entry%%:*}" "${entry#*:}"
done
