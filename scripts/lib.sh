# Shared by the project's scripts: package installation, dockerd start-up, the build.
# Sourced, never run. Every step is idempotent: a second run reuses what is there.

PPCS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PPCS_BUILD_DIR=${PPCS_BUILD_DIR:-$PPCS_ROOT/build}
PPCS_DOCKERD_LOG=${PPCS_DOCKERD_LOG:-/var/log/ppcs-dockerd.log}
# The pid of the dockerd these scripts started, so that only that one is ever restarted.
PPCS_DOCKERD_PIDFILE=${PPCS_DOCKERD_PIDFILE:-/run/ppcs-dockerd.pid}

# Podman's Docker-compatible API service (start_podman), which the podman-tagged tests use.
PPCS_PODMAN_SOCKET=${PPCS_PODMAN_SOCKET:-/run/podman/podman.sock}
PPCS_PODMAN_LOG=${PPCS_PODMAN_LOG:-/var/log/ppcs-podman.log}
PPCS_PODMAN_PIDFILE=${PPCS_PODMAN_PIDFILE:-/run/ppcs-podman.pid}
PPCS_PODMAN_CONF_DIR=${PPCS_PODMAN_CONF_DIR:-/etc/ppcs-podman}

# Build and runtime dependencies, all from Debian 12's own archive. groff-base renders the man page
# in its test, man-db shows it, bash-completion loads the installed completion script. dpkg-dev
# (dpkg-shlibdeps) and file are what `cpack -G DEB` needs to list the Debian package's shared
# library dependencies (scripts/package). chromium and chromium-driver run the dashboard's browser
# test (headless Chromium driven over WebDriver). podman with netavark (its bridge networks) and
# aardvark-dns (names between containers) is the second engine the tests drive (start_podman); it
# uses the runc docker.io already brought, so --no-install-recommends keeps crun, slirp4netns and
# fuse-overlayfs (rootless only) away. curl asks the engines' sockets whether they answer. ccache
# lets a build reuse what another build directory compiled with the same flags (configure_build).
# promtool is not among them: see install_promtool.
PPCS_PACKAGES=(
  g++ cmake make pkg-config ca-certificates ccache
  libboost-dev libboost-system-dev libboost-filesystem-dev libssl-dev
  nlohmann-json3-dev libcpp-httplib-dev libcli11-dev catch2 libsqlite3-dev
  docker.io debootstrap tar iptables openssh-client
  podman netavark aardvark-dns curl
  clang libclang-rt-14-dev clang-format docker-compose
  groff-base man-db bash-completion
  dpkg-dev file
  chromium chromium-driver
)

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

missing_packages() {
  local package
  for package in "${PPCS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' || printf '%s\n' "$package"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ ${#missing[@]} -eq 0 ]; then
    say "packages: all present"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}): run as root to install them"
  say "packages: installing ${missing[*]}"
  # Third-party sources that cannot be reached only warn; Debian's own archive must answer.
  apt-get update -qq || say "apt-get update reported problems; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
}

# promtool checks the output of ppcsd's GET /metrics in the tests. Installing Debian's prometheus
# package for it would also enable and start a Prometheus server on the user's machine, so only
# its promtool binary is unpacked from the downloaded package, into $PPCS_TOOLS_DIR.
PPCS_TOOLS_DIR=${PPCS_TOOLS_DIR:-$PPCS_ROOT/.tools/bin}
install_promtool() {
  if [ -x "$PPCS_TOOLS_DIR/promtool" ]; then
    say "promtool: present ($PPCS_TOOLS_DIR/promtool)"
    return
  fi
  say "promtool: unpacking it from Debian's prometheus package into $PPCS_TOOLS_DIR"
  local work
  work=$(mktemp -d)
  # apt-get download needs the package lists: a machine that never ran apt-get update has none.
  (cd "$work" && { apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus; }; }) \
    || { rm -rf "$work"; die "could not download Debian's prometheus package (for promtool)"; }
  dpkg-deb --fsys-tarfile "$work"/prometheus_*.deb | tar -x -C "$work" ./usr/bin/promtool \
    || { rm -rf "$work"; die "no usr/bin/promtool in Debian's prometheus package"; }
  mkdir -p "$PPCS_TOOLS_DIR"
  install -m 0755 "$work/usr/bin/promtool" "$PPCS_TOOLS_DIR/promtool"
  rm -rf "$work"
}

docker_answers() {
  timeout 10 docker version >/dev/null 2>&1
}

# Waits up to 60 s until CHECK (a function) succeeds, saying so as WHAT; otherwise shows the end of
# LOG and dies.
wait_until_answering() {
  local what=$1 check=$2 log=$3 waited
  for waited in $(seq 1 60); do
    "$check" && { say "$what: up after ${waited} s"; return; }
    sleep 1
  done
  tail -n 20 "$log" >&2 || true
  die "the $what did not answer within 60 s (see $log)"
}

# Starts Debian's dockerd in the background when no engine answers, and waits up to 60 s.
start_dockerd() {
  if docker_answers; then
    say "docker engine: answering"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "no docker engine answers and only root can start dockerd"
  say "docker engine: starting dockerd (log: $PPCS_DOCKERD_LOG)"
  mkdir -p "$(dirname "$PPCS_DOCKERD_LOG")"
  # From /, so that it never holds on to (or loses) the folder it was started from.
  setsid env -C / dockerd >>"$PPCS_DOCKERD_LOG" 2>&1 < /dev/null &
  echo $! > "$PPCS_DOCKERD_PIDFILE"
  wait_until_answering "docker engine" docker_answers "$PPCS_DOCKERD_LOG"
}

# Stops the dockerd that start_dockerd started (never another one) and starts it again.
restart_own_dockerd() {
  local pid
  pid=$(cat "$PPCS_DOCKERD_PIDFILE" 2>/dev/null) || die "no $PPCS_DOCKERD_PIDFILE: the engine was not started by these scripts, so it is not theirs to restart"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || die "process $pid (from $PPCS_DOCKERD_PIDFILE) is not a running dockerd"
  say "docker engine: stopping dockerd $pid"
  kill -TERM "$pid"
  local waited
  for waited in $(seq 1 120); do
    [ -e "/proc/$pid" ] || break
    sleep 0.5
  done
  [ ! -e "/proc/$pid" ] || die "dockerd $pid did not stop within 60 s"
  rm -f "$PPCS_DOCKERD_PIDFILE"
  start_dockerd
}

podman_answers() {
  timeout 10 curl -sf --unix-socket "$PPCS_PODMAN_SOCKET" http://d/_ping >/dev/null 2>&1
}

# The settings Podman needs on these machines, written where only the service start_podman starts
# reads them (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF): the machine's /etc/containers stays as
# Debian left it.
# - default_ulimits = []: Podman raises nofile and nproc in every container by default, which needs
#   CAP_SYS_RESOURCE; these machines withhold it, and every start fails with "error setting rlimit
#   type 7: operation not permitted". Containers keep the service's limits instead.
# - cgroupfs and a file for events: no systemd runs here (cgroup v1, no journald).
# - netavark: bridge networks with addresses that reach each other, names by aardvark-dns.
# - overlay storage in /var/lib/containers/storage: ext4 here, where the kernel's overlay works
#   as it does for dockerd's overlay2 (no fuse-overlayfs, no vfs copies).
write_podman_config() {
  mkdir -p "$PPCS_PODMAN_CONF_DIR"
  cat > "$PPCS_PODMAN_CONF_DIR/containers.conf" <<'CONF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"

[network]
network_backend = "netavark"
CONF
  cat > "$PPCS_PODMAN_CONF_DIR/storage.conf" <<'CONF'
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
CONF
}

# Starts Podman's Docker-compatible API service on $PPCS_PODMAN_SOCKET when none answers there,
# and waits up to 60 s. Beside dockerd, never instead of it: each keeps its own images,
# containers and networks.
start_podman() {
  if podman_answers; then
    say "podman service: answering on $PPCS_PODMAN_SOCKET"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "no podman service answers on $PPCS_PODMAN_SOCKET and only root can start it"
  command -v podman >/dev/null || die "podman is not installed (scripts/setup installs it)"
  say "podman service: starting on $PPCS_PODMAN_SOCKET (log: $PPCS_PODMAN_LOG)"
  # From / (as dockerd): a service whose working folder was removed fails every container start
  # with a tmpfs mount ("unable to determine if \"\" is mounted: getwd: no such file or directory").
  write_podman_config
  mkdir -p "$(dirname "$PPCS_PODMAN_SOCKET")" "$(dirname "$PPCS_PODMAN_LOG")"
  CONTAINERS_CONF="$PPCS_PODMAN_CONF_DIR/containers.conf" CONTAINERS_STORAGE_CONF="$PPCS_PODMAN_CONF_DIR/storage.conf" \
    setsid env -C / podman --log-level=info system service --time=0 "unix://$PPCS_PODMAN_SOCKET" >>"$PPCS_PODMAN_LOG" 2>&1 </dev/null &
  echo $! > "$PPCS_PODMAN_PIDFILE"
  wait_until_answering "podman service" podman_answers "$PPCS_PODMAN_LOG"
}

# The podman command line with the settings of the service start_podman starts (for images moved
# in with `docker save | ppcs_podman load`, and for looking at what the tests left).
ppcs_podman() {
  CONTAINERS_CONF="$PPCS_PODMAN_CONF_DIR/containers.conf" CONTAINERS_STORAGE_CONF="$PPCS_PODMAN_CONF_DIR/storage.conf" podman "$@"
}

# cmake's configure step for build directory DIR with the given options, compiling through ccache
# when it is there. Paths under the source tree are hashed relative to the build directory and the
# directory itself is not, so build-package/ reuses what build/ compiled with the same flags
# (scripts/package, run by the package test, then only compiles what differs).
configure_build() {
  local dir=$1; shift
  local launcher=()
  if command -v ccache >/dev/null; then
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PPCS_ROOT} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$PPCS_ROOT" -B "$dir" "${launcher[@]}" "$@" >/dev/null
}

build_project() {
  say "build: $PPCS_BUILD_DIR"
  configure_build "$PPCS_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "$PPCS_BUILD_DIR" -j"$(nproc)"
}

# Fails, naming them, when tracked C++ files differ from what clang-format makes of them
# (.clang-format: Google style, 4-space indent, 130 columns). scripts/format fixes them.
check_format() {
  say "format: clang-format --dry-run on every tracked .cpp and .h"
  local unformatted
  unformatted=$(cd "$PPCS_ROOT" && git ls-files -z '*.cpp' '*.h' \
    | xargs -0 -n 20 clang-format --dry-run 2>&1 | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: warning:.*/\1/p' | sort -u)
  [[ -z "$unformatted" ]] || die "not formatted (run scripts/format): $(echo $unformatted)"
}

setup_all() {
  install_packages
  install_promtool
  start_dockerd
  build_project "$@"
}
