#!/usr/bin/env bash
# Stands in for the image's /opt/zkStart.sh (program `zookeeper`), written
# from ../shared/image/README.md and proven against every case of
# ../shared/image/0.3.9/oracle/zkstart (zoo.cfg and myid; tests/standins.rs).
# What it keeps: it edits /etc/zookeeper/conf/zoo.cfg in place from the
# environment, then runs /usr/share/zookeeper/bin/zkServer.sh with its own
# arguments and forwards TERM and INT to it.
# - ZOOKEEPER_ID set and above 0: myid holds it; the N-th comma-separated
#   entry of ZOOKEEPER_HOSTS (numbered from 1), up to its last `:`, becomes
#   `server.N=<server>:2888:3888`, replacing every line that starts with
#   `server.N` or appended when none does.
# - LISTEN_IP set: `clientPortAddress=<LISTEN_IP>` the same way, after them.

conf=/etc/zookeeper/conf
cfg=$conf/zoo.cfg

# set_line PREFIX LINE: LINE replaces each line of zoo.cfg that starts with
# PREFIX, or is appended. The file is rewritten in place (same inode), so a
# zoo.cfg reached through a link stays where it is.
set_line() {
    local prefix=$1 line=$2 current found="" text=""
    while IFS= read -r current || [ -n "$current" ]; do
        if [[ $current == "$prefix"* ]]; then
            text+="$line"$'\n'
            found=yes
        else
            text+="$current"$'\n'
        fi
    done <"$cfg"
    [ -n "$found" ] || text+="$line"$'\n'
    printf '%s' "$text" >"$cfg"
}

if [[ ${ZOOKEEPER_ID:-} =~ ^[0-9]+$ ]] && ((10#$ZOOKEEPER_ID > 0)); then
    echo "$ZOOKEEPER_ID" >"$conf/myid"
    IFS=, read -r -a entries <<<"${ZOOKEEPER_HOSTS:-}"
    n=0
    for entry in "${entries[@]}"; do
        n=$((n + 1))
        set_line "server.$n" "server.$n=${entry%:*}:2888:3888"
    done
fi
if [ -n "${LISTEN_IP:-}" ]; then
    set_line clientPortAddress "clientPortAddress=$LISTEN_IP"
fi

/usr/share/zookeeper/bin/zkServer.sh "$@" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT
# `wait` returns early when a trapped signal arrives; wait again for the
# server's own status.
while true; do
    wait "$server"
    status=$?
    kill -0 "$server" 2>/dev/null || exit "$status"
done
