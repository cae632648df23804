#!/usr/bin/env python3
"""What supervisord makes of a configuration file and an environment.

Usage: supervisor_programs.py CONF ENVIRONMENT SHOWN_PATH

Run with the Python that has supervisor installed (4.2.2 for the 0.4 line),
where the image's users exist (the tests give it a passwd file of the
image's users in a mount namespace of its own).
ENVIRONMENT is a file of NAME=value lines (the container's environment);
it replaces this process's environment before supervisor reads CONF,
since supervisor expands %(ENV_X)s from it. Prints one JSON object: the
inet_http_server address, nodaemon, user and, per program in the order
supervisord starts them, its settings and its argv as supervisord splits
the command (or argv_error); or {"error": ...} when supervisord would not
start. SHOWN_PATH is the path the configuration has in the container, put
in supervisor's messages in place of CONF's.
"""

import json
import os
import pwd
import shlex
import signal
import socket
import sys

from supervisor import datatypes
from supervisor.options import ServerOptions


def signal_name(number):
    for name in dir(signal):
        if name.startswith("SIG") and not name.startswith("SIG_"):
            if getattr(signal, name) == number:
                return name
    return str(number)


def restart_word(value):
    if value is datatypes.RestartUnconditionally:
        return "true"
    if value is datatypes.RestartWhenExitUnexpected:
        return "unexpected"
    return "false"


def main():
    conf, environment, shown = sys.argv[1:4]
    env = {}
    with open(environment, encoding="utf-8") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line and "=" in line:
                name, value = line.split("=", 1)
                env[name] = value
    os.environ.clear()
    os.environ.update(env)
    options = ServerOptions()
    options.configfile = conf
    try:
        options.process_config(do_usage=False)
    except ValueError as error:
        print(json.dumps({"error": str(error).replace(conf, shown)}, sort_keys=True))
        return
    programs = []
    for group in sorted(options.process_group_configs):
        for process in group.process_configs:
            entry = {
                "name": process.name,
                "command": process.command,
                "priority": process.priority,
                "autostart": process.autostart,
                "autorestart": restart_word(process.autorestart),
                "directory": process.directory,
                "startretries": process.startretries,
                "stopsignal": signal_name(process.stopsignal),
                "stopwaitsecs": process.stopwaitsecs,
            }
            uid = 0 if process.uid is None else process.uid
            entry["user"] = pwd.getpwuid(uid).pw_name
            try:
                entry["argv"] = shlex.split(process.command)
            except ValueError as error:
                entry["argv"] = None
                entry["argv_error"] = "can't parse command %r: %s" % (process.command, error)
            programs.append(entry)
    servers = options.configroot.supervisord.server_configs or []
    inet = [s for s in servers if s.get("family") == socket.AF_INET]
    address = None
    if inet:
        address = "%s:%s" % (inet[0].get("host"), inet[0].get("port"))
    print(
        json.dumps(
            {
                "inet_http_server": address,
                "nodaemon": bool(options.nodaemon),
                "user": options.user,
                "programs": programs,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
