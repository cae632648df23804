#!/usr/bin/env python3
"""A loopback double of a PanteraS cluster for the rollout tests.

    cluster_double.py serve CONFIG_JSON
        Prints `listening on 127.0.0.1:PORT` (its control API), then serves,
        on each host's own loopback address, what the rollout's gates ask of
        the daemons of the 0.3.9 image, as their versions answer:
          ZooKeeper 3.4 (2181): `srvr`; `ruok` is refused as by a server
            whose 4lw.commands.whitelist holds srvr and mntr only;
          Consul 1.0 (8500): /v1/status/leader, /v1/operator/raft/configuration,
            /v1/operator/autopilot/health (429 while unhealthy);
          Mesos 1.4 master (5050) and agent (5051): /master/health,
            /metrics/snapshot (master/elected, registrar/log/recovered,
            slave/registered);
          Marathon 1.4 (8080): /v2/leader (404 without one).
        A daemon answers only while its host's container runs and has
        booted; quorum, elections, the registry's recovery and an agent's
        registration follow the other hosts with the configured delays.
        Leaders stay leaders while they serve. A host cut off (a partition)
        answers but reaches no other host.

    cluster_double.py docker CONTROL inspect --type container --format F ID
    cluster_double.py compose CONTROL ps --all --quiet panteras
    cluster_double.py compose CONTROL version --short | config | up -d
    cluster_double.py compose CONTROL -f - --project-directory . config --hash panteras
        The stand-in for the docker and docker compose (v2) commands the
        playbook runs on a host (the folder's name is the host's): the
        resolved configuration is the compose file and restricted/env, and
        its hash, the container's label, their digest; the container's
        image and mounts are the compose file's `image:` and `volumes:`.

Control API (JSON): GET /state, POST /stop {host}, POST /cut {host, cut},
POST /run {host, image, mounts} (a container that runs as made elsewhere),
POST /fail-up {host} (its next up fails), POST /sick {host, sick} (the
containers it creates from then on never boot), POST /mark (clears the
watch and the events).
"""
import hashlib
import http.client
import json
import os
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.RLock()


class Cluster:
    def __init__(self, config):
        self.boot = config.get("boot", 1.0)
        self.recovery = config.get("recovery", 1.0)
        self.register = config.get("register", 0.5)
        self.stable = config.get("stable", 0.5)
        self.hosts = {h["name"]: dict(h, container=None, cut=False, fail_up=0, sick=False)
                      for h in config["hosts"]}
        self.masters = [n for n, h in self.hosts.items() if h["master"]]
        self.leaders = {"zookeeper": None, "consul": None, "mesos": None, "marathon": None}
        self.serial = 0
        self.events = []
        self.mark()

    # What a host's daemons are.
    def booted(self, name, now):
        c = self.hosts[name]["container"]
        return (c is not None and c["running"] and now >= c["started"] + self.boot
                and not c.get("sick"))

    def reachable(self, name, now):
        return self.booted(name, now) and not self.hosts[name]["cut"]

    def quorum(self, members):
        return len(members) >= len(self.masters) // 2 + 1

    def serving(self, now):
        """The masters whose ZooKeeper and Consul serve (one ensemble)."""
        up = [m for m in self.masters if self.reachable(m, now)]
        return up if self.quorum(up) else []

    def sticky(self, role, candidates):
        if self.leaders[role] not in candidates:
            self.leaders[role] = max(candidates) if candidates else None
        return self.leaders[role]

    def recovered(self, name, now):
        c = self.hosts[name]["container"]
        return (name in self.serving(now)
                and now >= c["started"] + self.boot + self.recovery)

    def tick(self, now):
        serving = self.serving(now)
        self.sticky("zookeeper", serving)
        self.sticky("consul", serving)
        self.sticky("mesos", serving)
        self.sticky("marathon", serving)
        w = self.watch
        w["least_serving"] = min(w["least_serving"], len(serving))
        down = [m for m in self.masters if not self.booted(m, now)]
        w["most_masters_down"] = max(w["most_masters_down"], len(down))
        for m in self.masters:
            c = self.hosts[m]["container"]
            if c is not None and c.get("recovered_at") is None and self.recovered(m, now):
                c["recovered_at"] = now

    def mark(self):
        now = time.time()
        self.watch = {"least_serving": len(self.masters), "most_masters_down": 0, "since": now}
        self.events = []
        self.asked = []

    # The containers.
    def up(self, name, wanted, image="", mounts=()):
        h = self.hosts[name]
        now = time.time()
        if h["fail_up"]:
            h["fail_up"] -= 1
            self.events.append({"host": name, "at": now, "up": "failed"})
            return 1, "Error response from daemon: pull access denied for panteras/paas-in-a-box\n"
        c = h["container"]
        if c is None or c["hash"] != wanted:
            self.serial += 1
            h["container"] = {"id": "%064x" % (self.serial * 7919 + len(name)), "hash": wanted,
                              "running": True, "started": now, "recovered_at": None,
                              "sick": h["sick"], "image": image, "mounts": list(mounts)}
            what = "created"
        elif not c["running"]:
            c.update(running=True, started=now, recovered_at=None)
            what = "started"
        else:
            return 0, ""
        self.events.append({"host": name, "at": now, "up": what,
                            "zookeeper_leader": self.leaders["zookeeper"]})
        return 0, "Container %s-panteras-1  Started\n" % name

    def inspect(self, cid):
        for name, h in self.hosts.items():
            c = h["container"]
            if c is not None and c["id"] == cid:
                started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(c["started"]))
                started += ".%09dZ" % int((c["started"] % 1) * 1e9)
                return {"Id": c["id"], "Name": "/%s-panteras-1" % name,
                        "State": {"Status": "running" if c["running"] else "exited",
                                  "Running": c["running"], "StartedAt": started,
                                  "ExitCode": 0 if c["running"] else 137},
                        "Config": {"Image": c["image"],
                                   "Labels": {"com.docker.compose.config-hash": c["hash"],
                                              "com.docker.compose.service": "panteras"}},
                        "Mounts": [{"Type": "bind", "Source": source, "Destination": inside,
                                    "Mode": "", "RW": True, "Propagation": "rprivate"}
                                   for source, inside in c["mounts"]]}
        return None

    def state(self):
        now = time.time()
        out = {}
        for name, h in self.hosts.items():
            c = h["container"]
            out[name] = {"container": c and {k: c[k] for k in ("id", "hash", "running", "started", "recovered_at", "image")},
                         "cut": h["cut"], "booted": self.booted(name, now)}
        return {"hosts": out, "leaders": dict(self.leaders), "serving": self.serving(now),
                "events": self.events, "watch": self.watch, "asked": self.asked}


CLUSTER = None


class JsonHandler(BaseHTTPRequestHandler):
    """Answers in JSON, quietly."""

    def log_message(self, *args):
        pass

    def send(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def zookeeper(name):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(2)
            try:
                word = self.request.recv(4)
            except OSError:
                return
            with LOCK:
                now = time.time()
                if not CLUSTER.booted(name, now):
                    return  # nothing listens: the connection ends unanswered
                serving = CLUSTER.serving(now)
                leader = CLUSTER.sticky("zookeeper", serving)
            if word != b"srvr" and word != b"mntr":
                text = "%s is not executed because it is not in the whitelist.\n" % word.decode("ascii", "replace")
            elif name not in serving:
                text = "This ZooKeeper instance is not currently serving requests\n"
            elif word == b"srvr":
                text = ("Zookeeper version: 3.4.8--1, built on 02/06/2016 03:18 GMT\n"
                        "Latency min/avg/max: 0/0/0\nReceived: 1\nSent: 0\nConnections: 1\n"
                        "Outstanding: 0\nZxid: 0x100000000\nMode: %s\nNode count: 4\n"
                        % ("leader" if name == leader else "follower"))
            else:
                text = "zk_version\t3.4.8--1\nzk_server_state\t%s\n" % ("leader" if name == leader else "follower")
            self.request.sendall(text.encode())

    return Handler


def http_daemon(name, port):
    class Handler(JsonHandler):

        def do_GET(self):
            path = self.path.split("?")[0]
            with LOCK:
                now = time.time()
                c = CLUSTER
                if not c.booted(name, now):
                    self.close_connection = True
                    return  # the connection ends unanswered
                answer = self.answer(c, now, path)
            if answer is None:
                return self.send(404, {"message": "no such path"})
            self.send(*answer)

        def answer(self, c, now, path):
            host = c.hosts[name]
            serving = c.serving(now)
            mine = name in serving
            if port == 8500 and path == "/v1/status/leader":
                if not host["master"]:
                    reach = c.reachable(name, now) and serving
                    leader = c.sticky("consul", serving) if reach else None
                else:
                    leader = c.sticky("consul", serving) if mine else None
                return 200, ("%s:8300" % c.hosts[leader]["ip"]) if leader else ""
            if port == 8500 and path.startswith("/v1/operator/"):
                if not mine:
                    return 500, "No cluster leader"
                leader = c.sticky("consul", serving)
                if path == "/v1/operator/raft/configuration":
                    servers = [{"ID": m, "Node": m, "Address": "%s:8300" % c.hosts[m]["ip"],
                                "Leader": m == leader, "Voter": True}
                               for m in c.masters if c.hosts[m]["container"] is not None]
                    return 200, {"Servers": servers, "Index": 42}
                if path == "/v1/operator/autopilot/health":
                    servers = []
                    for m in c.masters:
                        cont = c.hosts[m]["container"]
                        healthy = m in serving and now >= cont["started"] + c.boot + c.stable
                        servers.append({"ID": m, "Name": m, "Address": "%s:8300" % c.hosts[m]["ip"],
                                        "SerfStatus": "alive" if m in serving else "failed",
                                        "Leader": m == leader, "Voter": True, "Healthy": healthy})
                    healthy = sum(1 for s in servers if s["Healthy"])
                    tolerance = max(0, healthy - (len(c.masters) // 2 + 1))
                    ok = healthy == len(servers)
                    return (200 if ok else 429), {"Healthy": ok, "FailureTolerance": tolerance,
                                                  "Servers": servers}
            if port == 5050 and path in ("/master/health", "/health"):
                return 200, {}
            if port == 5050 and path == "/metrics/snapshot":
                elected = mine and c.sticky("mesos", serving) == name
                return 200, {"master/elected": 1.0 if elected else 0.0,
                             "registrar/log/recovered": 1.0 if c.recovered(name, now) else 0.0,
                             "master/uptime_secs": now - host["container"]["started"]}
            if port == 5051 and path == "/metrics/snapshot":
                cont = host["container"]
                registered = (c.reachable(name, now) and bool(serving)
                              and now >= cont["started"] + c.boot + c.register)
                return 200, {"slave/registered": 1.0 if registered else 0.0}
            if port == 8080 and path == "/v2/leader":
                leader = c.sticky("marathon", serving) if mine else None
                if leader is None:
                    return 404, {"message": "There is no leader"}
                return 200, {"leader": "%s:8080" % c.hosts[leader]["ip"]}
            return None

    return Handler


def control():
    class Handler(JsonHandler):

        def do_GET(self):
            path, _, query = self.path.partition("?")
            args = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            with LOCK:
                if path == "/state":
                    return self.send(200, CLUSTER.state())
                if path == "/container":
                    c = CLUSTER.hosts.get(args.get("host"), {}).get("container")
                    return self.send(200, {"id": c["id"] if c else ""})
                if path == "/inspect":
                    found = CLUSTER.inspect(args.get("id", ""))
                    return self.send(200 if found else 404, found)
            self.send(404, {})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with LOCK:
                host = CLUSTER.hosts.get(body.get("host"))
                if self.path == "/mark":
                    CLUSTER.mark()
                elif host is None:
                    return self.send(404, {"error": "no such host"})
                elif self.path == "/asked":
                    CLUSTER.asked.append({"host": body["host"], "args": body["args"]})
                elif self.path == "/up":
                    code, said = CLUSTER.up(body["host"], body["hash"], body["image"], body["mounts"])
                    return self.send(200, {"code": code, "said": said})
                elif self.path == "/run":
                    CLUSTER.up(body["host"], "made elsewhere", body["image"], body["mounts"])
                elif self.path == "/stop" and host["container"]:
                    host["container"]["running"] = False
                elif self.path == "/cut":
                    host["cut"] = bool(body.get("cut", True))
                elif self.path == "/fail-up":
                    host["fail_up"] += 1
                elif self.path == "/sick":
                    host["sick"] = bool(body.get("sick", True))
                else:
                    return self.send(404, {})
            self.send(200, {})

    return Handler


def serve(config):
    global CLUSTER
    CLUSTER = Cluster(config)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    servers = []
    for name, h in CLUSTER.hosts.items():
        if not h.get("address"):
            continue  # a host whose daemons no gate asks
        if h["master"]:
            servers.append(socketserver.ThreadingTCPServer((h["address"], 2181), zookeeper(name)))
        for port in ([8500, 5050, 8080] if h["master"] else [8500]) + ([5051] if h.get("agent") else []):
            servers.append(ThreadingHTTPServer((h["address"], port), http_daemon(name, port)))
    ctl = ThreadingHTTPServer(("127.0.0.1", 0), control())
    for server in servers + [ctl]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening on 127.0.0.1:%d" % ctl.server_address[1], flush=True)
    deadline = time.time() + config.get("lifetime", 1800)
    while time.time() < deadline:
        with LOCK:
            CLUSTER.tick(time.time())
        time.sleep(0.02)


# The stand-in for docker and docker compose on a host.
def ask(control_at, method, path, body=None):
    conn = http.client.HTTPConnection(control_at, timeout=10)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    return reply.status, json.loads(reply.read() or b"null")


def go_template(template, value):
    """Docker's --format for the forms `{{json .A.B}}` and
    `{{json (index .A.B "key")}}`; any other form is refused."""
    def walk(path):
        v = value
        for part in path.strip(".").split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return v

    def one(match):
        inner = match.group(1).strip()
        m = re.fullmatch(r"json\s+(\.[A-Za-z.]+)", inner)
        if m:
            return json.dumps(walk(m.group(1)))
        m = re.fullmatch(r'json\s+\(index\s+(\.[A-Za-z.]+)\s+"([^"]*)"\)', inner)
        if m:
            found = walk(m.group(1))
            return json.dumps(found.get(m.group(2)) if isinstance(found, dict) else None)
        raise SystemExit("template: the stand-in knows no form %r" % inner)

    return re.sub(r"\{\{(.*?)\}\}", one, template)


def docker(control_at, args):
    if args[:1] != ["inspect"]:
        raise SystemExit("docker stand-in: only inspect, not %r" % args)
    fmt = args[args.index("--format") + 1] if "--format" in args else None
    status, found = ask(control_at, "GET", "/inspect?id=" + args[-1])
    if status != 200:
        print("Error: No such container: %s" % args[-1], file=sys.stderr)
        return 1
    print(go_template(fmt, found) if fmt else json.dumps([found]))
    return 0


def made_of(compose_file):
    """The image and the (source, inside) mounts of panteras' compose file."""
    image, mounts, in_volumes = "", [], False
    for line in compose_file.splitlines():
        text = line.strip()
        if text.startswith("image:"):
            image = text.split(":", 1)[1].strip().strip('"')
        elif text == "volumes:":
            in_volumes = True
        elif in_volumes and text.startswith("- "):
            parts = text[2:].strip().strip('"').split(":")
            mounts.append((parts[0], parts[1]))
        else:
            in_volumes = False
    return image, mounts


def compose(control_at, args):
    host = os.path.basename(os.getcwd())
    ask(control_at, "POST", "/asked", {"host": host, "args": args})
    if args[:1] == ["ps"]:
        _, found = ask(control_at, "GET", "/container?host=" + host)
        if found["id"]:
            print(found["id"])
        return 0
    if args[:2] == ["version", "--short"]:
        print("2.40.3")
        return 0
    if args[:6] == ["-f", "-", "--project-directory", ".", "config", "--hash"]:
        # The hash of a resolved configuration, as Compose v2 labels with.
        print("panteras %s" % hashlib.sha256(sys.stdin.buffer.read()).hexdigest())
        return 0
    # The configuration resolved: here, the compose file and restricted/env.
    resolved = b""
    for name in ("docker-compose.yml", "restricted/env"):
        try:
            with open(name, "rb") as f:
                resolved += f.read()
        except FileNotFoundError:
            if name == "docker-compose.yml":
                print("no configuration file provided: not found", file=sys.stderr)
                return 1
    if args == ["config"]:
        sys.stdout.buffer.write(resolved)
        return 0
    if args[:2] == ["up", "-d"]:
        wanted = hashlib.sha256(resolved).hexdigest()
        image, mounts = made_of(resolved.decode())
        _, result = ask(control_at, "POST", "/up", {"host": host, "hash": wanted,
                                                    "image": image, "mounts": mounts})
        sys.stderr.write(result["said"])
        return result["code"]
    raise SystemExit("compose stand-in: not %r" % args)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(json.loads(sys.argv[2]))
    elif sys.argv[1] == "docker":
        sys.exit(docker(sys.argv[2], sys.argv[3:]))
    elif sys.argv[1] == "compose":
        sys.exit(compose(sys.argv[2], sys.argv[3:]))
