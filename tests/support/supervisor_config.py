"""Reads a supervisord.conf with supervisor's own parser and the machine's
real user database, and prints, as JSON, what supervisord would run: every
program with its command, autostart (and the raw text it came from),
priority, user, directory, restart and stop settings, the event listeners
and the web console. The environment must hold the compose environment
(the %(ENV_x)s values). Runs under Python 2.7 (supervisor 3.3.3, the
image's) and Python 3 (Debian's supervisor).

    python supervisor_config.py supervisord.conf [SITE_DIR]

SITE_DIR, when given, is added as a site directory first (supervisor 3.3.3
and supervisor-stdout installed there with pip --target).
"""
import json
import os
import pwd
import site
import sys

if len(sys.argv) > 2:
    site.addsitedir(sys.argv[2])

if sys.version_info[0] >= 3:
    # supervisor-stdout, the image's event listener, is Python 2 only;
    # Debian's Python 3 supervisor resolves the listener's result_handler
    # from tests/support/py3. Python 2 imports the real one.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "py3"))

try:
    from configparser import RawConfigParser
except ImportError:
    from ConfigParser import RawConfigParser

import supervisor.options
from supervisor.options import ServerOptions

options = ServerOptions()
options.configfile = sys.argv[1]
options.process_config(do_usage=False)

raw = RawConfigParser()
raw.read(sys.argv[1])


def user_name(uid):
    if uid is None:
        return None
    return pwd.getpwuid(uid).pw_name


programs = {}
listeners = []
for group in options.process_group_configs:
    if isinstance(group, supervisor.options.EventListenerPoolConfig):
        listeners.append(group.name)
        continue
    for process in group.process_configs:
        section = "program:" + process.name
        programs[process.name] = {
            "command": process.command,
            "autostart": process.autostart,
            "autostart_raw": raw.get(section, "autostart"),
            "autorestart": getattr(process.autorestart, "__name__", str(process.autorestart)),
            "priority": process.priority,
            "user": user_name(process.uid),
            "directory": process.directory,
            "stopsignal": int(process.stopsignal),
            "startretries": process.startretries,
            "stopwaitsecs": process.stopwaitsecs,
            "stdout_events_enabled": process.stdout_events_enabled,
            "stderr_events_enabled": process.stderr_events_enabled,
        }

servers = [
    {
        "family": str(server["family"]),
        "host": server.get("host"),
        "port": server.get("port"),
        "username": server.get("username"),
        "password": server.get("password"),
    }
    for server in options.configroot.supervisord.server_configs
]
print(json.dumps({"programs": programs, "listeners": listeners, "servers": servers,
                  "version": supervisor.options.VERSION}, indent=1, sort_keys=True))
