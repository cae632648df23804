#!/usr/bin/python3
"""A stand-in for a daemon of the image that Debian does not package.

Records its argv and environment in /tmp/twin/NAME.json, where the tests
read them, then stays up until it is told to stop. As `consul` it serves
the Consul HTTP API double on the address of its `-client=` argument, so
that the real consul-template has a catalog to watch.
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
    catalog = "/tmp/twin/catalog.json"
    if not os.path.exists(catalog):
        with open("/usr/local/lib/twin/catalog.json") as src, open(catalog, "w") as dst:
            dst.write(src.read())
    client = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-client=")), "127.0.0.1")
    node = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-node=")), "node")
    os.execvp("python3", ["python3", "/usr/local/lib/twin/consul_double.py",
                          catalog, client, "8500", node])

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
