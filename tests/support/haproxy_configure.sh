#!/usr/bin/env bash
# Stands in for the configure pass of the image's haproxy_reload.sh, written
# from ../shared/image/README.md and proven byte-identical to every case of
# ../shared/image/0.3.9/oracle/reload-configure (tests/standins.rs). What it
# keeps: bash evaluates the whole file as the argument of `echo` inside
# double quotes, with the caller's environment (PORT_HTTP, PORT_STATS and the
# container's variables). So `$VAR`, `${VAR}`, `${VAR:-default}`, `$(...)`
# and backticks are expanded and run; `\"`, `\\`, `` \` `` and `\$` lose
# their backslash and other backslashes stay; blank and indented lines stay
# as they are; an unbalanced `"` anywhere breaks the whole pass.
#
#   haproxy_configure.sh SOURCE DEST
#
# Exits with the status of the evaluation (0, or 1 or 2 when bash refuses).
# The twin's haproxy_reload.sh runs it, then `haproxy -c` on DEST.

configure_pass() {
    local __panteras_text
    __panteras_text=$(cat "$1") || return 1
    # Positional parameters are empty inside the pass, as in the image.
    set --
    eval "echo \"$__panteras_text\""
}

configure_pass "$1" >"$2"
