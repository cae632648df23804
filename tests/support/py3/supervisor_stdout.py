"""Where the image's supervisor-stdout event listener (Python 2 only) would
be, for Debian's Python 3 supervisor: only the result handler's name is
resolved when the configuration is read, never called."""


def event_handler(event, response):
    raise NotImplementedError("read-only stand-in for supervisor-stdout")
