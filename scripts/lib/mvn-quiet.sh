# Sourced by the scripts that build the project first: Maven, quiet and without colour. Debian's
# Maven 3.8 writes "\033[0m" resets even with -B and -Dstyle.color=never (which 3.9 honours),
# so its output is passed through a filter that drops them; the exit status is Maven's.
mvn_quiet() {
  local status
  set +e
  mvn -B -q -Dstyle.color=never "$@" 2>&1 | sed $'s/\x1b\\[[0-9;]*m//g' >&2
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}
