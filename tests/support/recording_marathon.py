"""A recording Marathon, set up as a case of
../shared/marathon_deploy/0.1.55/oracle/ says (its standin.json), for the
tests of `panteras marathon-deploy`.

    python3 recording_marathon.py NUMBER CONFIG_JSON LOG_FILE

Prints the port it listens on (127.0.0.1) on the first line of stdout, then
serves until killed (or 600 s). Every request is appended to LOG_FILE as
one JSON line: {"marathon", "method", "path", "query", "body"}.

It answers as ../shared/marathon_deploy/README.md describes the stand-in the
cases were recorded with ("The stand-in's rules"), and as Marathon 1.4.10
shows an app (`instances` 1 when the app has none):
- a path is routed by what follows its first `/v2/`; an app id is read with
  its leading and doubled slashes ignored;
- GET /v2/deployments: the deployments in progress, each listing using up
  one of its answers (`deployment_answers`, `running.answers`; "never":
  unending); one with no answers left is over;
- GET /v2/apps/ID: 404, or {"app": ...} with the task counts and one task
  per instance, each with a health-check result per health check, failing
  while `sick_answers` last (counted from the first accepted write);
- PUT /v2/apps/ID: `write` when set; 409 while a deployment affects the
  app (unless force=true); else the body's top-level fields replace the
  stored app's (all of them with partialUpdate=false), a deployment starts,
  200 (201 for a new app) with {version, deploymentId};
- POST /v2/apps: `write` when set; 409 if the app exists; else stored, 201;
- DELETE /v2/deployments/ID: 404 unknown; 202 {} with force=true; else 200
  with a rollback deployment's id and version (not listed).
"""

import copy
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NUMBER = int(sys.argv[1])
CONFIG = json.loads(sys.argv[2])
LOG = sys.argv[3]
LOCK = threading.Lock()
COUNT = {"deployment": 0, "version": 0}
APPS = {}
DEPLOYMENTS = []  # [{"id", "version", "app", "answers"}]
SICK = {"left": None}


def norm(app_id):
    return "/" + "/".join(part for part in app_id.split("/") if part)


def new_deployment_id():
    COUNT["deployment"] += 1
    return "d%d000000-0000-4000-8000-%012d" % (NUMBER, COUNT["deployment"])


def new_version():
    COUNT["version"] += 1
    return "2017-11-0%dT12:00:%02d.000Z" % (NUMBER, COUNT["version"])


def start(app_id, answers):
    deployment = {"id": new_deployment_id(), "version": new_version(),
                  "app": norm(app_id), "answers": answers}
    DEPLOYMENTS.append(deployment)
    return deployment


if CONFIG.get("app") is not None:
    APPS[norm(CONFIG["app"].get("id", ""))] = copy.deepcopy(CONFIG["app"])
if CONFIG.get("running"):
    start(CONFIG["running"]["app"], CONFIG["running"]["answers"])


def listed():
    """The deployments in progress, each using up one answer."""
    DEPLOYMENTS[:] = [d for d in DEPLOYMENTS if d["answers"] == "never" or d["answers"] > 0]
    out = []
    for d in DEPLOYMENTS:
        out.append({"id": d["id"], "version": d["version"], "affectedApps": [d["app"]],
                    "affectedPods": [], "steps": [], "currentActions": [],
                    "currentStep": 1, "totalSteps": 1})
        if d["answers"] != "never":
            d["answers"] -= 1
    return out


def shown(app_id):
    app = copy.deepcopy(APPS[app_id])
    app["id"] = app_id
    instances = app.get("instances")
    count = instances if isinstance(instances, int) and not isinstance(instances, bool) else 1
    app.setdefault("instances", 1)
    sick = SICK["left"] is not None and (SICK["left"] == "never" or SICK["left"] > 0)
    if SICK["left"] not in (None, "never") and SICK["left"] > 0:
        SICK["left"] -= 1
    checks = app.get("healthChecks") or []
    app["version"] = app.get("version") or new_version()
    app["tasksStaged"] = 0
    app["tasksRunning"] = count
    app["tasksHealthy"] = 0 if (sick or not checks) else count
    app["tasksUnhealthy"] = count if (sick and checks) else 0
    app["deployments"] = [{"id": d["id"]} for d in DEPLOYMENTS
                          if d["app"] == app_id and (d["answers"] == "never" or d["answers"] > 0)]
    app["tasks"] = [{"id": "%s.%d" % (app_id.strip("/").replace("/", "_"), i), "appId": app_id,
                     "healthCheckResults": [{"instanceId": "i%d" % i, "alive": not sick}
                                            for _ in checks]}
                    for i in range(count)]
    return app


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with LOCK:
            with open(LOG, "a") as log:
                log.write(json.dumps({"marathon": NUMBER, "method": method, "path": url.path,
                                      "query": query, "body": body}) + "\n")
            route = url.path.split("/v2/", 1)[1] if "/v2/" in url.path else None
            return self.route(method, route, query, body)

    def route(self, method, route, query, body):
        if route is None:
            return self.reply(404, {"message": "not found"})
        if route.rstrip("/") == "deployments" and method == "GET":
            return self.reply(200, listed())
        if route.startswith("deployments/") and method == "DELETE":
            dep_id = route[len("deployments/"):]
            found = [d for d in DEPLOYMENTS if d["id"] == dep_id]
            if not found:
                return self.reply(404, {"message": "DeploymentPlan %s does not exist" % dep_id})
            DEPLOYMENTS.remove(found[0])
            if query.get("force") == "true":
                return self.reply(202, {})
            return self.reply(200, {"deploymentId": new_deployment_id(), "version": new_version()})
        if route.rstrip("/") == "apps" and method == "POST":
            if CONFIG.get("write"):
                return self.reply(CONFIG["write"]["status"], CONFIG["write"]["body"])
            app_id = norm((body or {}).get("id", ""))
            if app_id in APPS:
                return self.reply(409, {"message": "An app with id [%s] already exists." % app_id})
            APPS[app_id] = copy.deepcopy(body)
            self.accepted()
            start(app_id, CONFIG.get("deployment_answers", 1))
            return self.reply(201, shown(app_id), [("Location", "/v2/apps" + app_id)])
        if route.startswith("apps/"):
            app_id = norm(route[len("apps/"):])
            if method == "GET":
                if app_id not in APPS:
                    return self.reply(404, {"message": "App '%s' does not exist" % app_id})
                return self.reply(200, {"app": shown(app_id)})
            if method == "PUT":
                if CONFIG.get("write"):
                    return self.reply(CONFIG["write"]["status"], CONFIG["write"]["body"])
                locks = [d for d in DEPLOYMENTS if d["app"] == app_id
                         and (d["answers"] == "never" or d["answers"] > 0)]
                if locks and query.get("force") != "true":
                    return self.reply(409, {
                        "message": "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
                        "deployments": [{"id": d["id"]} for d in locks]})
                existed = app_id in APPS
                if query.get("partialUpdate") == "false" or not existed:
                    APPS[app_id] = copy.deepcopy(body)
                else:
                    APPS[app_id].update(copy.deepcopy(body))
                APPS[app_id].pop("version", None)
                self.accepted()
                d = start(app_id, CONFIG.get("deployment_answers", 1))
                return self.reply(200 if existed else 201,
                                  {"version": d["version"], "deploymentId": d["id"]},
                                  [("Marathon-Deployment-Id", d["id"])])
        return self.reply(404, {"message": "not found"})

    def accepted(self):
        if SICK["left"] is None:
            SICK["left"] = CONFIG.get("sick_answers", 0)

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(600)


if __name__ == "__main__":
    main()
