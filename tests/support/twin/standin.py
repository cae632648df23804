#!/usr/bin/python3
"""A stand-in for a daemon of the image that Debian does not package.

Records its argv and environment in /tmp/twin/NAME.json, where the tests
read them, then stays up until it is told to stop. As `consul` it serves
the Consul HTTP API double of ctmpl-render (`-serve`) on port 8500 of the
address of its `-client=` argument, so that consul-template has a catalog
to watch.
"""
import json
import os
import signal
import sys
import time

name = os.path.basename(sys.argv[0])
os.makedirs("/tmp/twin", exist_ok=True)
with open(f"/tmp/twin/{name}.json.tmp", "w") as out:
    json.dump({"argv": sys.argv[1:], "env": dict(os.environ)}, out)
os.rename(f"/tmp/twin/{name}.json.tmp", f"/tmp/twin/{name}.json")

if name == "consul":
    # The catalog the tests change (docker exec) while consul-template
    # watches it; an empty one to begin with.
    # The agent knows its own node name (-node=) from the start, as Consul does.
    catalog = "/tmp/twin/catalog.json"
    node = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-node=")), "")
    if not os.path.exists(catalog):
        with open("/usr/local/lib/twin/catalog.json") as src:
            data = json.load(src)
        data["self"] = node
        with open(catalog, "w") as dst:
            json.dump(data, dst)
    client = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-client=")), "127.0.0.1")
    double = "/usr/local/lib/twin/ctmpl-render"
    os.execv(double, [double, "-serve", catalog, "-listen", client + ":8500"])

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
