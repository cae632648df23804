"""A small stand-in for Consul's HTTP API that serves a catalog fixture, so
that the real consul-template has something to read.

    python3 consul_double.py FIXTURE.json ADDRESS PORT [NODE]

Prints `listening ADDRESS:PORT` once it accepts connections (PORT 0 picks a
free one). It answers the endpoints consul-template 0.18.2 reads:
/v1/catalog/services, /v1/catalog/service/NAME, /v1/health/service/NAME
(optionally ?tag=T), /v1/catalog/datacenters, /v1/kv/KEY, /v1/agent/self
and /v1/catalog/node/NAME. The fixture is read again whenever its file
changes, which raises the X-Consul-Index, so blocking queries (?index=N)
return as soon as the catalog changes, else after ?wait (at most 10 s).

Fixture:
    {"datacenters": ["dc1"],
     "services": [{"name": "web", "node": "n1", "address": "127.0.0.1",
                   "port": 8001, "tags": ["haproxy"], "status": "passing"}],
     "nodes": {"n1": "127.0.0.1"},
     "kv": {"haproxy/web/maxconn": "64"}}
"status" defaults to "passing"; a node's address defaults to that of its
first instance.
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


class Catalog:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Condition()
        self.stamp = None
        self.index = 0
        self.data = {}
        self.refresh()
        threading.Thread(target=self.watch, daemon=True).start()

    def refresh(self):
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return
        if stamp == self.stamp:
            return
        with open(self.path, encoding="utf-8") as f:
            data = json.load(f)
        with self.lock:
            self.stamp = stamp
            self.data = data
            self.index += 1
            self.lock.notify_all()

    def watch(self):
        while True:
            time.sleep(0.2)
            try:
                self.refresh()
            except ValueError:
                pass  # a file being written; read it on the next turn

    def wait(self, index, seconds):
        with self.lock:
            deadline = time.monotonic() + seconds
            while self.index <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
            return self.index, self.data


def duration(text):
    if not text:
        return 5.0
    units = {"ms": 0.001, "s": 1, "m": 60}
    for unit in ("ms", "s", "m"):
        if text.endswith(unit):
            return min(float(text[: -len(unit)]) * units[unit], 10.0)
    return min(float(text), 10.0)


def instances(data):
    for i, s in enumerate(data.get("services", [])):
        yield dict(s, id=s.get("id") or "%s-%d" % (s["name"], i), status=s.get("status", "passing"))


def node_address(data, node):
    nodes = data.get("nodes", {})
    if node in nodes:
        return nodes[node]
    for s in instances(data):
        if s["node"] == node:
            return s["address"]
    return None


def health_entry(data, s):
    node = {"ID": "", "Node": s["node"], "Address": node_address(data, s["node"]),
            "Datacenter": (data.get("datacenters") or ["dc1"])[0],
            "TaggedAddresses": {}, "Meta": {}}
    service = {"ID": s["id"], "Service": s["name"], "Tags": s.get("tags") or [],
               "Address": s["address"], "Port": s["port"], "EnableTagOverride": False}
    check = {"Node": s["node"], "CheckID": "service:" + s["id"], "Name": "check",
             "Status": s["status"], "ServiceID": s["id"], "ServiceName": s["name"]}
    return {"Node": node, "Service": service, "Checks": [check]}


def answer(data, path, query):
    services = list(instances(data))
    tag = query.get("tag", [None])[0]
    if path == "/v1/catalog/datacenters":
        return data.get("datacenters", ["dc1"])
    if path == "/v1/catalog/services":
        out = {}
        for s in services:
            tags = out.setdefault(s["name"], [])
            tags.extend(t for t in s.get("tags") or [] if t not in tags)
        return out
    if path.startswith("/v1/health/service/"):
        name = path[len("/v1/health/service/"):]
        return [health_entry(data, s) for s in services
                if s["name"] == name and (tag is None or tag in (s.get("tags") or []))
                and ("passing" not in query or s["status"] == "passing")]
    if path.startswith("/v1/catalog/service/"):
        name = path[len("/v1/catalog/service/"):]
        return [{"Node": s["node"], "Address": node_address(data, s["node"]),
                 "ServiceID": s["id"], "ServiceName": s["name"],
                 "ServiceTags": s.get("tags") or [], "ServiceAddress": s["address"],
                 "ServicePort": s["port"]}
                for s in services if s["name"] == name and (tag is None or tag in (s.get("tags") or []))]
    if path == "/v1/agent/self":
        return {"Config": {"NodeName": data.get("self", "")}, "Member": {}}
    if path.startswith("/v1/catalog/node/"):
        name = path[len("/v1/catalog/node/"):]
        address = node_address(data, name)
        if address is None:
            return None
        return {"Node": {"ID": "", "Node": name, "Address": address, "TaggedAddresses": {}, "Meta": {}},
                "Services": {s["id"]: {"ID": s["id"], "Service": s["name"], "Tags": s.get("tags") or [],
                                       "Address": s["address"], "Port": s["port"]}
                             for s in services if s["node"] == name}}
    if path.startswith("/v1/kv/"):
        key = path[len("/v1/kv/"):].lstrip("/")
        kv = {k.lstrip("/"): v for k, v in data.get("kv", {}).items()}
        if key not in kv:
            return None
        value = base64.b64encode(kv[key].encode("utf-8")).decode("ascii")
        return [{"Key": key, "Value": value, "Flags": 0, "CreateIndex": 1, "ModifyIndex": 1, "LockIndex": 0}]
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        index = int(query.get("index", ["0"])[0] or 0)
        current, data = self.server.catalog.wait(index, duration(query.get("wait", [""])[0]) if index else 0)
        body = answer(data, unquote(url.path), query)
        status = 404 if body is None else 200
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Consul-Index", str(current))
        self.send_header("X-Consul-LastContact", "0")
        self.send_header("X-Consul-KnownLeader", "true")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def main():
    fixture, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    server.catalog = Catalog(fixture)
    print("listening %s:%d" % server.server_address, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
