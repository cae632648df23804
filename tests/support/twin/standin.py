#!/usr/bin/python3
"""A stand-in for a daemon of the image that Debian does not package.

Records its argv and environment in /tmp/twin/NAME.json, where the tests
read them, then stays up until it is told to stop. What the rollout's gates
ask of the daemons, it answers:

- `consul` serves the Consul HTTP API double of ctmpl-render (`-serve`), so
  that consul-template has a catalog to watch, behind a proxy on port 8500
  of the address of its `-client=` argument that also answers
  /v1/status/leader: a server names itself (`-advertise=`), an agent the
  first server it joins.
- `mesos-master` refuses a flag Mesos 1.x does not know, as Mesos does (it
  exits 1), and otherwise answers /master/health with 200 on --ip:--port
  (5050); `mesos-slave` answers /state with 200 on --ip:--port (5051).
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

name = os.path.basename(sys.argv[0])
os.makedirs("/tmp/twin", exist_ok=True)
with open(f"/tmp/twin/{name}.json.tmp", "w") as out:
    json.dump({"argv": sys.argv[1:], "env": dict(os.environ)}, out)
os.rename(f"/tmp/twin/{name}.json.tmp", f"/tmp/twin/{name}.json")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

# The flags of mesos-master 1.x the stand-in knows; Mesos refuses others.
MASTER_FLAGS = {
    "acls", "advertise_ip", "advertise_port", "agent_ping_timeout", "agent_removal_rate_limit",
    "agent_reregister_timeout", "allocation_interval", "authenticate_agents",
    "authenticate_frameworks", "authenticate_http_frameworks", "authenticate_http_readonly",
    "authenticate_http_readwrite", "cluster", "credentials", "external_log_file", "hostname",
    "hostname_lookup", "http_authenticators", "ip", "log_auto_initialize", "log_dir",
    "logbufsecs", "logging_level", "max_agent_ping_timeouts", "max_completed_frameworks",
    "max_completed_tasks_per_framework", "offer_timeout", "port", "quiet", "quorum",
    "recovery_agent_removal_limit", "registry", "registry_fetch_timeout",
    "registry_store_timeout", "roles", "weights", "work_dir", "zk", "zk_session_timeout",
}


def flags(argv):
    found = {}
    for arg in argv:
        if arg.startswith("--"):
            key, _, value = arg[2:].partition("=")
            found[key[3:] if key.startswith("no-") else key] = value
    return found


def serve(address, port, answers):
    """Answers GET of each path of `answers` with (status, body), in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            status, body = answers.get(self.path.split("?")[0], (404, "{}"))
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    try:
        server = ThreadingHTTPServer((address, port), Handler)
    except OSError as e:
        print(f"{name}: cannot listen on {address}:{port}: {e}", file=sys.stderr, flush=True)
        return
    threading.Thread(target=server.serve_forever, daemon=True).start()


def consul():
    # The catalog the tests change (docker exec) while consul-template
    # watches it; an empty one to begin with. The agent knows its own node
    # name (-node=) from the start, as Consul does.
    argv = sys.argv[1:]
    value = lambda key, default="": next(  # noqa: E731
        (a.split("=", 1)[1] for a in argv if a.startswith(key + "=")), default)
    catalog = "/tmp/twin/catalog.json"
    if not os.path.exists(catalog):
        with open("/usr/local/lib/twin/catalog.json") as src:
            data = json.load(src)
        data["self"] = value("-node")
        with open(catalog, "w") as dst:
            json.dump(data, dst)
    double = subprocess.Popen(
        ["/usr/local/lib/twin/ctmpl-render", "-serve", catalog, "-listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, text=True)
    listening = double.stdout.readline().strip()
    port = int(listening.rsplit(":", 1)[1])
    if "-server" in argv:
        leader = value("-advertise") or value("-bind")
    else:
        leader = value("-join")
    leader = f"{leader}:8300" if leader else ""

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, headers, data):
            self.send_response(status)
            for key, val in headers:
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(key, val)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def forward(self):
            if self.path.split("?")[0] == "/v1/status/leader":
                return self.answer(200, [("Content-Type", "application/json")], json.dumps(leader).encode())
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            upstream = http.client.HTTPConnection("127.0.0.1", port)
            try:
                upstream.request(self.command, self.path, body=body)
                reply = upstream.getresponse()
                self.answer(reply.status, reply.getheaders(), reply.read())
            except OSError:
                self.answer(502, [], b"")
            finally:
                upstream.close()

        do_GET = do_PUT = do_POST = do_DELETE = forward

    server = ThreadingHTTPServer((value("-client", "127.0.0.1"), 8500), Proxy)
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        double.terminate()


if name == "consul":
    consul()
elif name == "mesos-master":
    given = flags(sys.argv[1:])
    unknown = sorted(set(given) - MASTER_FLAGS)
    if unknown:
        print(f"Failed to load unknown flag '{unknown[0]}'", file=sys.stderr, flush=True)
        sys.exit(1)
    serve(given.get("ip") or "0.0.0.0", int(given.get("port") or 5050),
          {"/master/health": (200, ""), "/health": (200, "")})
elif name == "mesos-slave":
    given = flags(sys.argv[1:])
    serve(given.get("ip") or "0.0.0.0", int(given.get("port") or 5051),
          {"/state": (200, "{}"), "/health": (200, "")})

while True:
    time.sleep(3600)
