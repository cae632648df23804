"""A double of Marathon 1.4.10's REST API, as ../shared/marathon/1.4.10/
describes it, for `panteras app deploy`'s tests.

    python3 marathon_double.py --log FILE [--user U --password P] [--app JSON]
                               [--tls CERT KEY]

Prints the port it listens on (127.0.0.1) on the first line of stdout, then
serves until killed. Every request is appended to FILE as one JSON line
(method, path, query, whether its credentials were right, body).

It answers as apps.raml, deployments.raml and traits.raml say:
- PUT /v2/apps/{id}: 201 (created) or 200 (updated) with {deploymentId,
  version} and a Marathon-Deployment-Id header; 409 with the locking
  deployments while one of the app runs, unless force=true (which cancels
  it); Marathon's own answer (400, 422 or 500 with its message and
  details) to a body that a case of --cases (Marathon 1.4.10's validation
  cases) holds, and 422 as Marathon words it when a health check's
  portIndex addresses no port; 401 without the right credentials when
  --user is given.
- GET /v2/deployments: the running deployments, in the shape of
  v2/examples/deployments.json; each GET moves every deployment one step.
- GET /v2/apps/{id}: {app} with the fields Marathon fills in (version,
  task counts, defaults, service ports), or 404.
- DELETE /v2/deployments/{id}: 200 with the rollback deployment (which
  restores the app as it was), or 404.

How a deployment goes depends on words in the app's id: `slow` takes
three steps, `stuck` never ends and runs no task, `sick` runs its tasks
but never has them healthy (so never ends), `locked` finds another
deployment of the app running when it is first sent (it ends after two
steps), `election` makes the next two GETs of /v2/deployments answer 503
(no leader, as during an election), `proxy` makes GET of the app answer
200 with an HTML page (as a proxy in front of a Marathon that is gone
does), `escape` makes the PUT answer 422 with terminal control sequences
in its words, `refused` makes it answer 422 at the first health check (as
for a rule of Marathon's that a check before sending cannot hold, such as
its group's); any other takes one step.
"""

import argparse
import base64
import copy
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
APPS = {}  # id -> app as Marathon keeps it
PREVIOUS = {}  # id -> the app before the running deployment (None: new)
DEPLOYMENTS = {}  # deployment id -> {"app", "steps", "kind"}
LOCKED_ONCE = set()
NO_LEADER = [0]  # GETs of /v2/deployments still to answer 503
COUNTER = itertools.count(1)
VERSION = itertools.count(1)

DEFAULTS = {
    "instances": 1,
    "cpus": 1.0,
    "mem": 128.0,
    "disk": 0.0,
    "gpus": 0,
    "executor": "",
    "backoffFactor": 1.15,
    "backoffSeconds": 1,
    "maxLaunchDelaySeconds": 3600,
    "constraints": [],
    "uris": [],
    "fetch": [],
    "storeUrls": [],
    "labels": {},
    "dependencies": [],
    "healthChecks": [],
    "readinessChecks": [],
    "portDefinitions": [],
    "requirePorts": False,
    "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0},
    # 1.4.10's own default, not the 300/600 of its RAML (validation.md, 6).
    "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
    "killSelection": "YOUNGEST_FIRST",
    "secrets": {},
    "env": {},
    "cmd": None,
    "args": None,
    "user": None,
    "acceptedResourceRoles": None,
    "ipAddress": None,
    "residency": None,
}


def new_id():
    return "%08x-0000-4000-8000-%012x" % (0x5ED4C0C5, next(COUNTER))


def version():
    return "2017-06-01T12:00:%02d.%03dZ" % divmod(next(VERSION), 1000)


def stored(body, app_id):
    """The app as Marathon keeps and shows it."""
    app = copy.deepcopy(DEFAULTS)
    app.update(copy.deepcopy(body))
    app["id"] = app_id
    # Marathon shows resources as decimals: mem 16 comes back as 16.0.
    for key in ("cpus", "mem", "disk"):
        if isinstance(app.get(key), (int, float)):
            app[key] = float(app[key])
    docker = (app.get("container") or {}).get("docker")
    if docker is not None:
        docker.setdefault("privileged", False)
        docker.setdefault("forcePullImage", False)
        docker.setdefault("parameters", [])
        for i, mapping in enumerate(docker.get("portMappings") or []):
            mapping.setdefault("protocol", "tcp")
            mapping.setdefault("servicePort", 10000 + i)
            mapping.setdefault("labels", {})
    for check in app["healthChecks"]:
        for key, value in (("gracePeriodSeconds", 300), ("intervalSeconds", 60),
                           ("maxConsecutiveFailures", 3), ("timeoutSeconds", 20),
                           ("delaySeconds", 15), ("ignoreHttp1xx", False)):
            check.setdefault(key, value)
    app["version"] = version()
    app["tasksStaged"] = 0
    app["tasksRunning"] = 0
    app["tasksHealthy"] = 0
    app["tasksUnhealthy"] = 0
    app["deployments"] = []
    return app


def settle(app):
    """The app's tasks once its deployment is done."""
    app["tasksRunning"] = app["instances"]
    app["tasksHealthy"] = app["instances"] if app["healthChecks"] else 0
    app["deployments"] = []


def progress(deployment):
    """One step of a deployment; True when it has ended."""
    app = APPS.get(deployment["app"])
    kind = deployment["kind"]
    if kind == "stuck":
        return False
    if kind == "sick":
        if app:
            app["tasksRunning"] = app["instances"]
            app["tasksHealthy"] = 0
            app["tasksUnhealthy"] = app["instances"]
        return False
    deployment["steps"] -= 1
    if app and app["instances"]:
        app["tasksRunning"] = min(app["instances"], app["tasksRunning"] + 1)
    if deployment["steps"] > 0:
        return False
    if app:
        settle(app)
    return True


def kind_of(app_id):
    for kind in ("slow", "stuck", "sick"):
        if kind in app_id:
            return kind
    return "plain"


def start(app_id, kind, steps):
    deployment_id = new_id()
    DEPLOYMENTS[deployment_id] = {"app": app_id, "kind": kind, "steps": steps,
                                  "version": version()}
    if app_id in APPS:
        APPS[app_id]["deployments"] = [{"id": deployment_id}]
    return deployment_id


def running_of(app_id):
    return [d for d, v in DEPLOYMENTS.items() if v["app"] == app_id]


def shown(deployment_id, deployment):
    action = "StartApplication" if deployment.get("new") else "RestartApplication"
    return {
        "id": deployment_id,
        "version": deployment["version"],
        "affectedApps": [deployment["app"]],
        "affectedPods": [],
        "steps": [{"actions": [{"action": action, "app": deployment["app"]}]}],
        "currentActions": [{"action": action, "app": deployment["app"],
                            "readinessCheckResults": []}],
        "currentStep": 1,
        "totalSteps": 1,
    }


def refused_ports(app):
    """Marathon's own rule (validation.md, hc-port-index): a health check's
    portIndex addresses a port; answered as Marathon answers it."""
    docker = (app.get("container") or {}).get("docker") or {}
    ports = len(docker.get("portMappings") or app.get("portDefinitions") or [])
    details = []
    for i, check in enumerate(app.get("healthChecks") or []):
        if check.get("protocol") in ("MESOS_TCP", "MESOS_HTTP", "TCP", "HTTP", None) \
                and check.get("portIndex", 0) >= max(ports, 1) and "port" not in check:
            details.append({
                "path": "/healthChecks(%d)" % i,
                "errors": ["Health check port indices must address an element of the ports "
                           "array or container port mappings."]})
    return details


# Marathon 1.4.10's answers from the data: the validation cases whose
# request is read and checked as a whole app (POST, or PUT with
# partialUpdate=false), by their body.
CASES = {}


def load_cases(folder):
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name)) as f:
            case = json.load(f)
        whole = case["method"] == "POST" or "partialUpdate=false" in case["url"]
        if whole and "existing" not in case and case["expect"]["status"] in (400, 422, 500):
            CASES[json.dumps(case["app"], sort_keys=True)] = case["expect"]


def answer_of_the_data(body):
    """Marathon's answer to `body`, when a validation case holds it."""
    expect = CASES.get(json.dumps(body, sort_keys=True))
    if expect is None:
        return None
    reply = {"message": expect.get("message") or expect.get("message_prefix") or "Object is not valid"}
    if "details" in expect:
        reply["details"] = expect["details"]
    return expect["status"], reply


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def record(self, body, authorized):
        split = urlsplit(self.path)
        entry = {"method": self.command, "path": split.path, "query": split.query,
                 "authorized": authorized, "body": body}
        with open(self.server.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def authorized(self):
        if self.server.credentials is None:
            return self.headers.get("Authorization") is None
        return self.headers.get("Authorization") == self.server.credentials

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self.record(raw.decode(errors="replace"), self.authorized())
            return self.reply(400, {"message": "Invalid JSON", "details": []})
        authorized = self.authorized()
        self.record(body, authorized)
        if self.server.credentials is not None and not authorized:
            return self.reply(401, {"message": "wrong user or password"})
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        path = split.path
        with LOCK:
            if path.startswith("/v2/apps/"):
                app_id = "/" + path[len("/v2/apps/"):].strip("/")
                if self.command == "GET":
                    return self.get_app(app_id)
                if self.command == "PUT":
                    return self.put_app(app_id, body, query)
            if path == "/v2/deployments" and self.command == "GET":
                return self.get_deployments()
            if path.startswith("/v2/deployments/") and self.command == "DELETE":
                return self.delete_deployment(path[len("/v2/deployments/"):], query)
            if path == "/v2/info" and self.command == "GET":
                return self.reply(200, {"name": "marathon", "version": "1.4.10"})
        return self.reply(404, {"message": "Not found: %s %s" % (self.command, path)})

    do_GET = do_PUT = do_DELETE = do_POST = handle_any

    def get_app(self, app_id):
        if "proxy" in app_id:
            page = b"<html><body>Welcome</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            return self.wfile.write(page)
        app = APPS.get(app_id)
        if app is None:
            return self.reply(404, {"message": "no app %s" % app_id})
        return self.reply(200, {"app": app})

    def put_app(self, app_id, body, query):
        if not isinstance(body, dict):
            return self.reply(400, {"message": "Invalid JSON",
                                    "details": [{"path": "/", "errors": ["error.expected.jsobject"]}]})
        if query.get("partialUpdate") != ["false"]:
            return self.reply(400, {"message": "this double takes whole apps only (partialUpdate=false)"})
        if "escape" in app_id:
            # Words with a terminal's control sequences in them.
            return self.reply(422, {"message": "refused\x1b[2J\x1b]0;title\x07 here",
                                    "details": [{"path": "/cmd", "errors": ["bad\r\nfake: line"]}]})
        if "refused" in app_id:
            return self.reply(422, {"message": "Object is not valid", "details": [
                {"path": "/healthChecks(0)", "errors": ["refused by a rule of the group"]}]})
        known = answer_of_the_data(body)
        if known is not None:
            return self.reply(known[0], known[1])
        details = refused_ports(body)
        if details:
            return self.reply(422, {"message": "Object is not valid", "details": details})
        force = query.get("force") == ["true"]
        if "locked" in app_id and app_id not in LOCKED_ONCE:
            LOCKED_ONCE.add(app_id)
            start(app_id, "plain", 2)
        running = running_of(app_id)
        if running and not force:
            return self.reply(409, {
                "message": "a deployment of this app is running; force=true overrides it",
                "deployments": [{"id": d} for d in running],
            })
        for d in running:
            del DEPLOYMENTS[d]
        created = app_id not in APPS
        PREVIOUS[app_id] = None if created else copy.deepcopy(APPS[app_id])
        APPS[app_id] = stored(body, app_id)
        steps = 3 if kind_of(app_id) == "slow" else 1
        if "election" in app_id:
            NO_LEADER[0] = 2
        deployment_id = start(app_id, kind_of(app_id), steps)
        DEPLOYMENTS[deployment_id]["new"] = created
        result = {"deploymentId": deployment_id, "version": APPS[app_id]["version"]}
        return self.reply(201 if created else 200, result,
                          [("Marathon-Deployment-Id", deployment_id)]
                          + ([("Location", "/v2/apps" + app_id)] if created else []))

    def get_deployments(self):
        if NO_LEADER[0] > 0:
            NO_LEADER[0] -= 1
            return self.reply(503, {"message": "no leader elected yet"})
        listed = [shown(d, v) for d, v in DEPLOYMENTS.items()]
        for d in list(DEPLOYMENTS):
            if progress(DEPLOYMENTS[d]):
                del DEPLOYMENTS[d]
        return self.reply(200, listed)

    def delete_deployment(self, deployment_id, query):
        deployment = DEPLOYMENTS.pop(deployment_id, None)
        if deployment is None:
            return self.reply(404, {"message": "no deployment %s" % deployment_id})
        if query.get("force") == ["true"]:
            return self.reply(202)
        app_id = deployment["app"]
        before = PREVIOUS.get(app_id)
        if before is None:
            APPS.pop(app_id, None)
        else:
            APPS[app_id] = before
            settle(before)
        rollback = start(app_id, "plain", 1)
        return self.reply(200, {"deploymentId": rollback, "version": version()})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                        help="serve HTTPS with this certificate")
    parser.add_argument("--cases", help="Marathon's validation cases (a folder): their answers")
    parser.add_argument("--app", action="append", default=[],
                        help="an app Marathon has already (JSON), its deployment done")
    args = parser.parse_args()
    if args.cases:
        load_cases(args.cases)
    for text in args.app:
        app = json.loads(text)
        app_id = "/" + app["id"].strip("/")
        APPS[app_id] = stored(app, app_id)
        settle(APPS[app_id])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.log = args.log
    server.credentials = None
    if args.user is not None:
        token = base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()
        server.credentials = "Basic " + token
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
