"""Stands in for supervisor-stdout (a Python 2 package) in the twin image:
an event listener that hands each line a program writes back to
supervisord (`main`), and the result handler that prints it on
supervisord's own output (`event_handler`), as the image's does."""
import sys


def main():
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header = dict(word.split(":", 1) for word in sys.stdin.readline().split())
        payload = sys.stdin.read(int(header.get("len", 0)))
        head, _, data = payload.partition("\n")
        fields = dict(word.split(":", 1) for word in head.split())
        name = fields.get("processname", "?")
        lines = "".join(f"{name} {line}\n" for line in data.splitlines())
        sys.stdout.write(f"RESULT {len(lines.encode())}\n{lines}")
        sys.stdout.flush()


def event_handler(event, response):
    text = response.decode() if isinstance(response, bytes) else response
    sys.stdout.write(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
