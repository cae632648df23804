#!/usr/bin/env bash
# Stands in for the image's /opt/consul-template/haproxy_reload.sh, written
# from ../shared/image/README.md. What it keeps:
# - two HAProxy instances take turns, haproxy_a (HTTP on 8550, statistics on
#   8551) and haproxy_b (8660, 8661); iptables NAT rules send the public
#   ports (80, or 443 with HAPROXY_SSL=true, and 81) to the current one;
# - the state is the first rule of the nat chain HAPROXY (a jump to
#   haproxy_a or haproxy_b); without the chain, everything is set up anew
#   and haproxy_a starts; with it, the other instance starts (tried until it
#   does) and rule 1 of HAPROXY jumps to it;
# - configuring instance X: PORT_HTTP and PORT_STATS exported as its ports,
#   /etc/haproxy/X.cfg written from /etc/haproxy/haproxy.cfg by the shell's
#   configure pass (haproxy_configure.sh beside this script, proven against
#   the image's recorded table), then `X -c`; a file either refuses leaves
#   the running instance as it is (an error is printed, the exit status is 0);
# - `cleanup` removes the jumps and the three chains, each deletion repeated
#   until it fails, and exits 0.
here=$(cd "$(dirname "$0")" && pwd)
nat=(iptables -w -t nat)

front=80
[ "${HAPROXY_SSL:-}" = true ] && front=443
stats=81

http_port() { if [ "$1" = haproxy_a ]; then echo 8550; else echo 8660; fi; }
stats_port() { if [ "$1" = haproxy_a ]; then echo 8551; else echo 8661; fi; }

cleanup() {
    while "${nat[@]}" -D PREROUTING -j HAPROXY 2>/dev/null; do :; done
    while "${nat[@]}" -D OUTPUT -j HAPROXY 2>/dev/null; do :; done
    for chain in HAPROXY haproxy_a haproxy_b; do
        while "${nat[@]}" -F "$chain" 2>/dev/null && "${nat[@]}" -X "$chain" 2>/dev/null; do :; done
    done
}

# The instance the first rule of HAPROXY jumps to; nothing without the chain.
state() {
    "${nat[@]}" -S HAPROXY 2>/dev/null | sed -n 's/^-A HAPROXY -j \(haproxy_[ab]\)$/\1/p' | head -n 1
}

# The rules that send the public ports to instance $1.
redirect_rules() {
    local chain=$1 http stats_to
    http=$(http_port "$chain")
    stats_to=$(stats_port "$chain")
    "${nat[@]}" -N "$chain"
    if [ "${LISTEN_IP:-0.0.0.0}" != 0.0.0.0 ]; then
        "${nat[@]}" -A "$chain" -p tcp -d "$LISTEN_IP" --dport "$front" \
            -j DNAT --to-destination "$LISTEN_IP:$http"
    fi
    local address
    for address in "$HOST_IP" ${KEEPALIVED_VIP:+"$KEEPALIVED_VIP"}; do
        "${nat[@]}" -A "$chain" -p tcp -d "$address" --dport "$front" \
            -m state --state NEW -j REDIRECT --to-ports "$http"
        "${nat[@]}" -A "$chain" -p tcp -d "$address" --dport "$stats" \
            -m state --state NEW -j REDIRECT --to-ports "$stats_to"
    done
}

configure() {
    local instance=$1
    PORT_HTTP=$(http_port "$instance")
    PORT_STATS=$(stats_port "$instance")
    export PORT_HTTP PORT_STATS
    "$here/haproxy_configure.sh" /etc/haproxy/haproxy.cfg "/etc/haproxy/$instance.cfg" &&
        "$instance" -c -f "/etc/haproxy/$instance.cfg"
}

run() {
    local instance=$1
    # shellcheck disable=SC2046 # the pids of the instance, one word each
    "$instance" -p "/tmp/$instance.pid" -f "/etc/haproxy/$instance.cfg" -sf $(pidof "$instance")
}

start_anew() {
    cleanup
    "${nat[@]}" -N HAPROXY
    "${nat[@]}" -A PREROUTING -j HAPROXY
    "${nat[@]}" -A OUTPUT -j HAPROXY
    redirect_rules haproxy_a
    redirect_rules haproxy_b
    if ! configure haproxy_a; then
        echo "haproxy_reload: the configuration is refused; nothing was started" >&2
        exit 0
    fi
    run haproxy_a
    "${nat[@]}" -A HAPROXY -j haproxy_a
}

if [ "${1:-}" = cleanup ]; then
    cleanup
    exit 0
fi

current=$(state)
if [ -z "$current" ]; then
    start_anew
    exit 0
fi
if [ "$current" = haproxy_a ]; then next=haproxy_b; else next=haproxy_a; fi
if ! configure "$next"; then
    echo "haproxy_reload: the configuration is refused; $current keeps serving" >&2
    exit 0
fi
until run "$next"; do
    sleep 1
done
"${nat[@]}" -R HAPROXY 1 -j "$next" || start_anew
