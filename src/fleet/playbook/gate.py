"""The rollout's look at the cluster, run on the controller by site.yml.

Written by `panteras cluster --ansible`; Python 3.9 or later, its standard
library only. It asks the daemons of every master (and of the host being
rolled) at their `panteras_address` and answers with one JSON object on
standard output: {"ok": true/false, "message": ..., "order": [...]}.

  gate.py start          before any master is touched: is the cluster up and
                         able to lose one master (or down, with bootstrap)?
                         Also the order of the masters (the ZooKeeper
                         leader's last).
  gate.py before HOST    may HOST be restarted now?
  gate.py after HOST     is HOST ready again (and, for a master, the
                         whole cluster as it was before)?

SPEC, what it is told of the cluster (JSON), comes on standard input: a
command line could not hold that of a large cluster.

A look passes only when it passes `passes` times in a row, `delay` seconds
apart; every command ends within `timeout` seconds.
"""

import concurrent.futures
import json
import socket
import sys
import time
import urllib.error
import urllib.request

ZOOKEEPER = 2181
CONSUL = 8500
MESOS_MASTER = 5050
MESOS_AGENT = 5051
MARATHON = 8080
# What is read of one answer at most.
LIMIT = 1 << 20


def printable(text, most=160):
    """A daemon's words as one short line without control characters."""
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 3] + "..."


def zookeeper_mode(address, timeout):
    """ZooKeeper's `srvr` answer: (mode, None), or (None, why it serves not)."""
    try:
        with socket.create_connection((address, ZOOKEEPER), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(b"srvr")
            data = b""
            while len(data) < LIMIT:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        return None, "no answer on port %d (%s)" % (ZOOKEEPER, printable(e))
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        if line.startswith("Mode: "):
            return line[len("Mode: "):].strip(), None
    return None, "does not serve (%s)" % (printable(text) or "an empty answer")


def http_json(address, port, path, timeout):
    """GET http://address:port/path as JSON: (status, value or None, why)."""
    url = "http://%s:%d%s" % (address, port, path)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            status, body = reply.status, reply.read(LIMIT + 1)
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read(LIMIT + 1)
    except (OSError, ValueError) as e:
        return None, None, "no answer on port %d (%s)" % (port, printable(e))
    if len(body) > LIMIT:
        return status, None, "an answer of more than %d bytes" % LIMIT
    try:
        return status, json.loads(body.decode("utf-8")), None
    except ValueError:
        return status, None, "HTTP %d, not JSON (%s)" % (status, printable(body[:80]))


def number(metrics, key):
    """A metric of /metrics/snapshot, or None."""
    if not isinstance(metrics, dict):
        return None
    value = metrics.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Spec:
    def __init__(self, text):
        spec = json.loads(text)
        self.masters = list(spec["masters"])
        self.address = dict(spec["address"])
        self.ip = dict(spec["ip"])
        self.runs = dict(spec["runs"])
        self.gates = dict(spec["gates"])
        self.timeout = float(spec["timeout"])
        self.delay = float(spec["delay"])
        self.passes = max(1, int(spec["passes"]))
        self.bootstrap = bool(spec.get("bootstrap"))
        self.repair = [h for h in spec.get("repair") or [] if h]
        # Masters whose container does not run, as their Docker Engine said.
        self.stopped = [h for h in spec.get("stopped") or [] if h]
        self.probe = min(5.0, max(0.5, self.timeout))

    def gated(self, host, daemon):
        """Whether `host` runs `daemon` and its gate is on."""
        gate = {"mesos_master": "mesos", "mesos_slave": "mesos"}.get(daemon, daemon)
        return bool(self.runs.get(host, {}).get(daemon)) and bool(self.gates.get(gate, True))

    def where(self, host):
        return self.address.get(host) or self.ip.get(host)


class Look:
    """What every master's daemons (and `extra` hosts' agents) say, once."""

    def __init__(self, spec, extra=()):
        self.spec = spec
        hosts = list(spec.masters) + [h for h in extra if h not in spec.masters]
        asks = []
        for host in hosts:
            for daemon in ("zookeeper", "consul", "mesos_master", "marathon", "mesos_slave"):
                if spec.gated(host, daemon) and (daemon != "mesos_slave" or host in extra):
                    asks.append((host, daemon))
        asks += [(None, "raft"), (None, "autopilot")] if any(
            spec.gated(m, "consul") for m in spec.masters) else []
        self.answers = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            for key, answer in zip(asks, pool.map(self.ask, asks)):
                self.answers[key] = answer

    def ask(self, key):
        host, daemon = key
        spec, t = self.spec, self.spec.probe
        if daemon == "zookeeper":
            return zookeeper_mode(spec.where(host), t)
        if daemon == "consul":
            status, value, why = http_json(spec.where(host), CONSUL, "/v1/status/leader", t)
            if why:
                return None, why
            if status == 200 and isinstance(value, str) and value:
                return value, None
            return None, "names no leader (HTTP %s, %s)" % (status, printable(json.dumps(value)))
        if daemon in ("mesos_master", "mesos_slave"):
            port = MESOS_MASTER if daemon == "mesos_master" else MESOS_AGENT
            status, value, why = http_json(spec.where(host), port, "/metrics/snapshot", t)
            if why:
                return None, why
            if status != 200 or not isinstance(value, dict):
                return None, "HTTP %s on /metrics/snapshot" % status
            return value, None
        if daemon == "marathon":
            status, value, why = http_json(spec.where(host), MARATHON, "/v2/leader", t)
            if why:
                return None, why
            leader = value.get("leader") if isinstance(value, dict) else None
            if status == 200 and isinstance(leader, str) and leader:
                return leader, None
            return None, "names no leader (HTTP %s)" % status
        # The cluster's Consul servers, from the first master that answers.
        path = {"raft": "/v1/operator/raft/configuration",
                "autopilot": "/v1/operator/autopilot/health"}[daemon]
        why = "no master's Consul answered"
        for master in spec.masters:
            if not spec.gated(master, "consul"):
                continue
            status, value, why = http_json(spec.where(master), CONSUL, path, t)
            # Autopilot answers 429 with its report when it is unhealthy.
            if not why and status in (200, 429) and isinstance(value, dict):
                return value, None
            why = why or "HTTP %s on %s" % (status, path)
        return None, why

    def get(self, host, daemon):
        return self.answers.get((host, daemon), (None, "not asked"))

    def shortfalls(self, spare=()):
        """Why the cluster cannot lose one master now, as lines naming the
        master and the daemon; the masters in `spare` may be short."""
        counted = [m for m in self.spec.masters if m not in spare]
        return (self.zookeeper_shortfalls(counted)
                + self.consul_shortfalls(counted, spare)
                + self.mesos_shortfalls(counted)
                + self.one_leader("marathon", "Marathon", MARATHON, counted))

    def zookeeper_shortfalls(self, counted):
        """Every counted master's ZooKeeper serves; one leads."""
        spec, short = self.spec, []
        one = len(spec.masters) == 1
        zk = [m for m in spec.masters if spec.gated(m, "zookeeper")]
        modes = {}
        for m in zk:
            mode, why = self.get(m, "zookeeper")
            if mode in ("leader", "follower") or (one and mode == "standalone"):
                modes[m] = mode
            elif m in counted:
                short.append("%s: ZooKeeper at %s:%d %s" % (
                    m, spec.where(m), ZOOKEEPER, why or "is in mode %s" % mode))
        leaders = [m for m, mode in modes.items() if mode in ("leader", "standalone")]
        if zk and len(leaders) != 1:
            short.append("ZooKeeper: %s" % (
                "no master serves as leader" if not leaders
                else "%s each say they lead" % ", ".join(leaders)))
        return short

    def consul_shortfalls(self, counted, spare):
        """One leader all servers agree on; every counted master a healthy
        voter; with no master spared, a failure tolerance of one at least."""
        spec = self.spec
        short = self.one_leader("consul", "Consul", CONSUL, counted)
        consul = [m for m in spec.masters if spec.gated(m, "consul")]
        if not consul:
            return short
        raft, why = self.get(None, "raft")
        if raft is None:
            short.append("Consul: the raft configuration cannot be read (%s)" % why)
        else:
            servers = raft.get("Servers") if isinstance(raft.get("Servers"), list) else []
            voters = {str(s.get("Address", "")).rsplit(":", 1)[0]
                      for s in servers if isinstance(s, dict) and s.get("Voter")}
            for m in consul:
                if m in counted and spec.ip.get(m) not in voters:
                    short.append("%s: Consul's raft configuration has no voter at %s" % (
                        m, spec.ip.get(m)))
        health, _ = self.get(None, "autopilot")
        if isinstance(health, dict) and isinstance(health.get("Servers"), list):
            by_address = {str(s.get("Address", "")).rsplit(":", 1)[0]: s
                          for s in health["Servers"] if isinstance(s, dict)}
            for m in consul:
                server = by_address.get(spec.ip.get(m))
                if m in counted and server is not None and not server.get("Healthy"):
                    short.append("%s: Consul's autopilot does not call this server healthy" % m)
            tolerance = health.get("FailureTolerance")
            if (not spare and len(spec.masters) > 1 and isinstance(tolerance, int)
                    and tolerance < 1):
                short.append("Consul: autopilot's failure tolerance is %d" % tolerance)
        return short

    def mesos_shortfalls(self, counted):
        """One elected master; every counted master's registry log
        recovered."""
        spec, short, elected = self.spec, [], []
        mesos = [m for m in spec.masters if spec.gated(m, "mesos_master")]
        for m in mesos:
            metrics, why = self.get(m, "mesos_master")
            if metrics is None:
                if m in counted:
                    short.append("%s: the Mesos master at %s:%d gives no metrics (%s)" % (
                        m, spec.where(m), MESOS_MASTER, why))
                continue
            if number(metrics, "master/elected") == 1:
                elected.append(m)
            if m in counted and number(metrics, "registrar/log/recovered") != 1:
                short.append("%s: the Mesos master has not recovered its registry log "
                             "(registrar/log/recovered is not 1)" % m)
        if mesos and len(elected) != 1:
            short.append("Mesos: %s" % (
                "no master is elected" if not elected
                else "%s each say they are elected" % ", ".join(elected)))
        return short

    def one_leader(self, daemon, shown, port, counted):
        """Why the masters that run `daemon` do not all name one leader."""
        short, named = [], set()
        for m in self.spec.masters:
            if not self.spec.gated(m, daemon):
                continue
            leader, why = self.get(m, daemon)
            if leader:
                named.add(leader)
            elif m in counted:
                short.append("%s: %s at %s:%d %s" % (m, shown, self.spec.where(m), port, why))
        if len(named) > 1:
            short.append("%s: the masters name different leaders (%s)" % (shown, ", ".join(sorted(named))))
        return short

    def serves_anywhere(self):
        """Whether any master's ZooKeeper serves or any Consul names a leader."""
        for m in self.spec.masters:
            mode, _ = self.get(m, "zookeeper")
            leader, _ = self.get(m, "consul")
            if mode in ("leader", "follower", "standalone") or leader:
                return True
        return False

    def agent_shortfalls(self, host):
        """Why `host`'s own agents are not ready: its Mesos agent registered
        with a master, its Consul agent knowing a leader."""
        spec, short = self.spec, []
        if spec.gated(host, "mesos_slave"):
            metrics, why = self.get(host, "mesos_slave")
            if metrics is None:
                short.append("%s: the Mesos agent at %s:%d gives no metrics (%s)" % (
                    host, spec.where(host), MESOS_AGENT, why))
            elif number(metrics, "slave/registered") != 1:
                short.append("%s: the Mesos agent is not registered with a master "
                             "(slave/registered is not 1)" % host)
        if host not in spec.masters and spec.gated(host, "consul"):
            leader, why = self.get(host, "consul")
            if not leader:
                short.append("%s: Consul at %s:%d %s" % (host, spec.where(host), CONSUL, why))
        return short

    def leader(self):
        """The master whose ZooKeeper leads, if one does."""
        for m in self.spec.masters:
            if self.get(m, "zookeeper")[0] == "leader":
                return m
        return None


def shortfalls(spec, spare):
    look = Look(spec)
    return look, look.shortfalls(spare=spare)


def until(spec, what, looks):
    """Looks until `looks()` finds nothing short `passes` times in a row;
    (look, []) then, or the last look and its shortfalls at the deadline."""
    deadline = time.monotonic() + spec.timeout
    in_row = 0
    while True:
        # No request outlives the deadline by more than half a second.
        spec.probe = max(0.5, min(5.0, deadline - time.monotonic()))
        look, short = looks()
        in_row = 0 if short else in_row + 1
        if in_row >= spec.passes:
            return look, []
        left = deadline - time.monotonic()
        if left <= 0:
            return look, short
        print("%s: %s" % (what, "; ".join(short) if short else "passed %d of %d" % (in_row, spec.passes)),
              file=sys.stderr, flush=True)
        time.sleep(min(spec.delay, left))


def answer(ok, message="", **more):
    print(json.dumps(dict(ok=ok, message=message, **more)))
    return 0


def start(spec):
    if not any(spec.gated(m, d) for m in spec.masters for d in ("zookeeper", "consul")):
        return answer(True, "no gate asks the masters' ZooKeeper or Consul: nothing is checked",
                      order=spec.masters)
    look = Look(spec)
    if spec.bootstrap:
        if look.serves_anywhere():
            return answer(False, "panteras_bootstrap=true starts every master at once, which only a "
                          "cluster that is down may do; this one serves (a ZooKeeper serves or a "
                          "Consul names a leader). Run without panteras_bootstrap to roll it one "
                          "master at a time.")
        return answer(True, "the cluster is down; its masters start together",
                      order=spec.masters)
    if not look.serves_anywhere():
        return answer(False, "the cluster is down: no master's ZooKeeper serves and no master's "
                      "Consul names a leader, so its masters cannot go one at a time. If it is new, "
                      "or you mean to start all its masters at once (with the 0.3.x image, a "
                      "master whose container is recreated starts with empty ZooKeeper data), run "
                      "again with -e panteras_bootstrap=true.")
    repair = [h for h in spec.masters if h in spec.repair]
    if len(spec.repair) > 1 or (spec.repair and not repair):
        return answer(False, "panteras_repair=%s: expected the name of one master"
                      % ",".join(spec.repair))
    look, short = until(spec, "before the first master", lambda: shortfalls(spec, repair))
    if short:
        stopped = [h for h in spec.stopped if h not in repair]
        hint = ("%s: its container does not run; to start it with its files, and it alone "
                "while the others serve, run with -e panteras_repair=%s" % (stopped[0], stopped[0])
                if len(stopped) == 1 else
                "bring it back first; to roll out to a master that is itself down, name it "
                "with -e panteras_repair=HOST")
        return answer(False, "the cluster cannot lose a master now, so nothing is touched "
                      "(waited %g s): %s. %s." % (spec.timeout, "; ".join(short), hint))
    leader = look.leader()
    order = repair + [m for m in spec.masters if m != leader and m not in repair]
    if leader and leader not in repair:
        order.append(leader)
    return answer(True, "every master serves", order=order, leader=leader)


def before(spec, host):
    if host not in spec.masters:
        return answer(True, "%s is no master" % host)
    spare = [host]
    _, short = until(spec, "before %s" % host, lambda: shortfalls(spec, spare))
    if short:
        return answer(False, "%s is not restarted: the cluster could not lose it now (waited %g s): "
                      "%s" % (host, spec.timeout, "; ".join(short)))
    return answer(True, "the cluster can lose %s" % host)


def after(spec, host):
    def looks():
        look = Look(spec, extra=[host])
        short = look.agent_shortfalls(host)
        if host in spec.masters:
            short = look.shortfalls() + short
        return look, short

    _, short = until(spec, "after %s" % host, looks)
    if short:
        return answer(False, "%s is not ready within %g s: %s; the rollout stops here"
                      % (host, spec.timeout, "; ".join(short)))
    return answer(True, "%s is ready" % host)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("start", "before", "after") \
            or len(argv) != (2 if argv[1] == "start" else 3):
        print(__doc__, file=sys.stderr)
        return 2
    spec = Spec(sys.stdin.read())
    if argv[1] == "start":
        return start(spec)
    return (before if argv[1] == "before" else after)(spec, argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
