"""Whether a rollout moves a host from one image line to another.

Written by `panteras cluster --ansible`; Python 3.9 or later, its standard
library only. Run on the controller by site.yml before any host is
touched:

  lines.py < SPEC

SPEC, on standard input, is JSON: {"hosts": {NAME: {"line": the line its
files give, "image": their image, "running": its container as docker
inspect showed it, {"image": ..., "mounts": [the paths inside it that are
mounted]}, or null}}, "unread": hosts whose container could not be read,
"masters": [...], "change": the inventory's `line_change` ("0.3 to 0.4", or
""), "marks": {LINE: [paths only that line's files mount]},
"running_line": the line the operator says a container whose line does
not show runs (-e panteras_running_line)}.

Answers one JSON object: {"ok": ..., "message": ..., "moves": {NAME: "0.3 to
0.4"}}. A container's line is its image's tag when that names a release
(0.3.x, 0.4.x, ...), else the line whose own mounts it has; a host whose
line cannot be shown stops the rollout, as does a move the inventory does
not name, or a master whose container could not be read.
"""

import json
import re
import sys


def tag_line(image):
    """The line an image's tag names (0.3.9 -> 0.3), or None."""
    name = image.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    numbers = re.match(r"v?(\d+)[.-](\d+)(?:[.-]|$)", tag)
    if not numbers:
        return None
    major, minor = int(numbers.group(1)), int(numbers.group(2))
    if major == 0 and minor < 4:
        return "0.3"
    return "0.4"


def running_line(container, marks):
    """A container's line and how it shows, or (None, why not)."""
    image = container.get("image") or ""
    line = tag_line(image)
    if line:
        return line, "image %s" % image
    mounted = {m for m in container.get("mounts") or [] if isinstance(m, str)}
    found = sorted(line for line, paths in marks.items() if mounted & set(paths))
    if len(found) == 1:
        return found[0], "image %s, with the %s line's mount %s" % (
            image, found[0], ", ".join(sorted(mounted & set(marks[found[0]]))))
    return None, "image %s names no release and its mounts fit %s" % (
        image, "both lines" if found else "no line")


def look(spec):
    change = " ".join(str(spec.get("change") or "").split())
    told = str(spec.get("running_line") or "")
    marks = spec.get("marks") or {}
    masters = set(spec.get("masters") or [])
    refused, unknown, moves, allowed = [], [], {}, []
    if told and told not in marks:
        return {"ok": False, "moves": {},
                "message": "panteras_running_line=%s: expected one of %s"
                           % (told, ", ".join(sorted(marks)))}
    for name in sorted(spec.get("hosts") or {}):
        host = spec["hosts"][name]
        container = host.get("running")
        if not container:
            continue  # nothing runs that a line could hold
        line, shown = running_line(container, marks)
        if line is None and told:
            line, shown = told, "image %s, said to run the %s line" % (container.get("image"), told)
        if line is None:
            unknown.append("%s: %s" % (name, shown))
            continue
        if line == host["line"]:
            continue
        move = "%s to %s" % (line, host["line"])
        moves[name] = move
        what = "%s: runs the %s line (%s); its files give the %s line (%s)" % (
            name, line, shown, host["line"], host["image"])
        if move == change:
            allowed.append(what)
        else:
            refused.append((name, what))
    unread = sorted(spec.get("unread") or [])
    masters_unread = [h for h in unread if h in masters]
    problems = []
    if masters_unread:
        problems.append("the container of master %s could not be read, so whether the "
                        "rollout moves it to another line is not shown; mend its docker "
                        "(or its connection) and run again" % ", ".join(masters_unread))
    if refused:
        kinds = sorted({moves[name] for name, _ in refused})
        say = ("add `line_change: %s` to the inventory and run `panteras cluster --ansible` "
               "again" % kinds[0] if len(kinds) == 1 else
               "the hosts would move both ways (%s): give every host the same line first"
               % " and ".join(kinds))
        problems.append(
            "the rollout would move hosts to another image line, which the inventory does not "
            "say:\n  %s\nEvery daemon's files, users and data change, and a master's ZooKeeper "
            "data does not move with it. Read README's \"Moving to PanteraS 0.4.4\" (the order "
            "that keeps the quorum), then %s" % ("\n  ".join(w for _, w in refused), say))
    if unknown:
        problems.append(
            "which image line these hosts run cannot be shown:\n  %s\nRun with "
            "-e panteras_running_line=0.3 (or 0.4) if you know it" % "\n  ".join(unknown))
    said = list(problems)
    if allowed:
        said.append("moving to another line, as the inventory says (line_change: %s):\n  %s"
                    % (change, "\n  ".join(allowed)))
    if unread and not masters_unread:
        said.append("left out, their container could not be read: %s" % ", ".join(unread))
    return {"ok": not problems, "message": "\n".join(said), "moves": moves}


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(look(json.loads(sys.stdin.read()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
