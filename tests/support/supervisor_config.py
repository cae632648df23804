"""Reads a supervisord.conf with supervisor's own parser and prints, as
JSON, what supervisord would run: every program with its command,
autostart, priority, user and signals, and the web console settings.
The environment must hold the compose environment (the %(ENV_x)s values).

    /usr/bin/python3 supervisor_config.py supervisord.conf
"""
import json
import sys
import types

import supervisor.options
from supervisor.options import ServerOptions

# The program users (consul, zookeeper, ...) exist inside the image, not on
# the machine running the tests: record the names instead of looking them up.
users = {}


def fake_uid(name):
    users.setdefault(name, 10000 + len(users))
    return users[name]


supervisor.options.name_to_uid = fake_uid

# The image installs the supervisor_stdout event listener; the machine
# running the tests may not, and the parser only needs to resolve it.
stdout_listener = types.ModuleType("supervisor_stdout")
stdout_listener.event_handler = lambda event, response: None
sys.modules.setdefault("supervisor_stdout", stdout_listener)

options = ServerOptions()
options.configfile = sys.argv[1]
options.process_config(do_usage=False)
by_uid = {uid: name for name, uid in users.items()}

programs = {}
listeners = []
for group in options.process_group_configs:
    if isinstance(group, supervisor.options.EventListenerPoolConfig):
        listeners.append(group.name)
        continue
    for process in group.process_configs:
        programs[process.name] = {
            "command": process.command,
            "autostart": process.autostart,
            "priority": process.priority,
            "user": by_uid.get(process.uid, process.uid),
            "directory": process.directory,
            "stopsignal": int(process.stopsignal),
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
print(json.dumps({"programs": programs, "listeners": listeners, "servers": servers}, indent=1, sort_keys=True))
