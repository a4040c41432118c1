# Shared by scripts/test and scripts/dev: bring up the two services FitKart needs on one
# machine without Docker — a private PostgreSQL cluster and the moto SQS emulator.
# Source it; it defines functions and changes nothing by itself.

# setup_clock: FITKART_CLOCK_AT=<instant> (anything `date -d` reads, e.g.
# 2026-12-31T23:57:00Z) puts the whole stack at that instant, running on from there:
# Postgres and PgBouncer through libfaketime (Debian's faketime, installed when
# missing), and every Rust process (tests, the runner and each function it starts, the
# benchmarks) through FITKART_CLOCK_SHIFT_SECONDS, the same shift, which the domain's
# clock adds itself (libfaketime is not preloaded into them: cargo and rustup hang under
# it). Unset, nothing is shifted.
FAKETIME_LIB=
setup_clock() {
  [ -n "${FITKART_CLOCK_AT:-}" ] || return 0
  local target
  target=$(date -u -d "$FITKART_CLOCK_AT" +%s) || { echo "error: FITKART_CLOCK_AT is not a date: $FITKART_CLOCK_AT" >&2; return 1; }
  export FITKART_CLOCK_SHIFT_SECONDS=$(( target - $(date -u +%s) ))
  FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
  if [ -z "$FAKETIME_LIB" ]; then
    echo "installing libfaketime (Debian's faketime)" >&2
    apt_install faketime || return 1
    FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
  fi
  # A relative shift in seconds, so every process started at any moment agrees.
  export FAKETIME=$(printf '%+d' "$FITKART_CLOCK_SHIFT_SECONDS")
  export FAKETIME_DONT_FAKE_MONOTONIC=1
  echo "clock: the whole stack at $(date -u -d "@$target" '+%F %T UTC') (shifted by $FITKART_CLOCK_SHIFT_SECONDS s)"
}

# shifted CMD...: runs CMD (a service) under the shifted clock, or as it is without one.
shifted() {
  if [ -n "$FAKETIME_LIB" ]; then LD_PRELOAD="$FAKETIME_LIB" "$@"; else "$@"; fi
}

# Finds PostgreSQL's server binaries, installing Debian's package when they are missing.
pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  echo "PostgreSQL server binaries not found; installing the postgresql package" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else
    sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  echo "error: could not install PostgreSQL" >&2
  return 1
}

# Runs a PostgreSQL binary as the cluster owner: initdb refuses to run as root, so as root
# the cluster belongs to the 'postgres' system user.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres DATADIR PORT [fast]
# Creates the cluster on first use (trust auth, loopback only, socket in DATADIR) and starts
# it. "fast" turns off durability: right for throwaway test clusters, never for real data.
start_postgres() {
  local datadir=$1 port=$2 mode=${3:-}
  local bindir
  bindir=$(pg_bindir) || return 1
  mkdir -p "$datadir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$datadir"
    chmod 700 "$datadir"
  fi
  if [ -f "$datadir/PG_VERSION" ] && pg_as_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    return 0  # already running (an earlier run that was not stopped): reuse it
  fi
  if [ ! -f "$datadir/PG_VERSION" ]; then
    pg_as_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$datadir.initdb.log" 2>&1 \
      || { cat "$datadir.initdb.log" >&2; return 1; }
  fi
  local opts="-c listen_addresses=127.0.0.1 -c port=$port -k $datadir -c max_connections=300"
  if [ "$mode" = fast ]; then
    # pg_stat_statements: the benchmarks count the SQL each record costs (they run at a
    # tiny size in the test command too).
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements"
  fi
  shifted pg_as_owner "$bindir/pg_ctl" -D "$datadir" -o "$opts" -l "$datadir/server.log" -w -t 30 start >/dev/null \
    || { cat "$datadir/server.log" >&2; return 1; }
}

stop_postgres() {
  local datadir=$1 bindir
  bindir=$(pg_bindir) || return 0
  [ -f "$datadir/postmaster.pid" ] && pg_as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1
  return 0
}

# proxy_borrow_timeout: the seconds RDS Proxy lets a client wait for a backend
# (ConnectionBorrowTimeout in template.yaml), which PgBouncer locally waits too.
proxy_borrow_timeout() {
  awk '/ConnectionBorrowTimeout:/ { print $2; exit }' template.yaml
}

# start_pgbouncer DIR PORT PG_PORT POOL: Debian's PgBouncer (installed when missing) in
# transaction mode in front of the cluster on PG_PORT, at most POOL server connections per
# database: what RDS Proxy does in AWS, and a strict judge of session state (1.18 keeps
# no prepared statements across transactions). Every database name routes to the
# cluster. As root it runs as 'postgres' (PgBouncer refuses root).
start_pgbouncer() {
  local dir=$1 port=$2 pg_port=$3 pool=$4
  local bin
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  if [ ! -x "$bin" ]; then
    echo "installing PgBouncer" >&2
    apt_install pgbouncer || return 1
    bin=/usr/sbin/pgbouncer
  fi
  mkdir -p "$dir"
  cat > "$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
; A client waits for a server connection as long as RDS Proxy's borrow timeout
; (template.yaml), then gets an error, whether the pool is busy or the database is down;
; a restarted database is tried again within a second.
query_wait_timeout = $(proxy_borrow_timeout)
server_connect_timeout = $(proxy_borrow_timeout)
server_login_retry = 1
default_pool_size = $pool
max_db_connections = $pool
max_client_conn = 2000
admin_users = postgres
stats_users = postgres
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
  echo '"postgres" ""' > "$dir/users.txt"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$dir"
    shifted runuser -u postgres -- "$bin" -d "$dir/pgbouncer.ini" >/dev/null || { cat "$dir/pgbouncer.log" >&2; return 1; }
  else
    shifted "$bin" -d "$dir/pgbouncer.ini" >/dev/null || { cat "$dir/pgbouncer.log" >&2; return 1; }
  fi
  local i
  for i in $(seq 1 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), timeout=0.2).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "error: PgBouncer did not start; see $dir/pgbouncer.log" >&2
  return 1
}

# stop_pgbouncer DIR: stops the PgBouncer started in DIR (if any) and waits for it.
stop_pgbouncer() {
  local dir=$1 pid i
  [ -f "$dir/pgbouncer.pid" ] || return 0
  pid=$(cat "$dir/pgbouncer.pid")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$dir/pgbouncer.pid"
  return 0
}

# ensure_moto VENV: installs the moto server into its own virtualenv (once).
ensure_moto() {
  local venv=$1
  if [ ! -x "$venv/bin/moto_server" ]; then
    echo "installing the moto SQS emulator into $venv" >&2
    if ! python3 -m venv "$venv" >&2; then
      # Debian splits venv support out of python3.
      rm -rf "$venv"
      if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
      else sudo apt-get update -qq >&2 && sudo apt-get install -y -qq python3-venv >&2; fi
      python3 -m venv "$venv" >&2 || { echo "error: python3 -m venv does not work" >&2; return 1; }
    fi
    "$venv/bin/pip" install -q 'moto[server]>=5.1,<6' >&2 || { echo "error: could not install moto" >&2; return 1; }
  fi
}

# start_moto VENV PORT LOGFILE: starts the emulator in the background, waits until it answers.
start_moto() {
  local venv=$1 port=$2 log=$3
  ensure_moto "$venv" || return 1
  # Not under the shifted clock: moto spins at full CPU under libfaketime, and nothing
  # FitKart decides reads the emulator's time.
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  local i
  for i in $(seq 1 100); do
    if python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
PY
    then return 0; fi
    sleep 0.1
  done
  echo "error: moto did not start; see $log" >&2
  return 1
}

# free_port: a TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# apt_install PACKAGE...: Debian packages, as root or through sudo.
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  else
    sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  fi
}

# build_console: the admin console and API docs page (admin/dist), with the npm packages
# pinned by admin/package-lock.json. Rebuilt only when a source is newer than the build.
build_console() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found; installing Debian's nodejs and npm" >&2
    apt_install nodejs npm || return 1
  fi
  if [ ! -d admin/node_modules ] || [ admin/package-lock.json -nt admin/node_modules ]; then
    (cd admin && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
    touch admin/node_modules
  fi
  if [ ! -f admin/dist/index.html ] || [ -n "$(find admin/src admin/docs admin/index.html admin/vite.config.ts -newer admin/dist/index.html -print -quit)" ]; then
    (cd admin && npm run --silent build >&2) || return 1
  fi
}

# chromium_path: Debian's Chromium for the browser tests, installed when missing.
chromium_path() {
  local bin
  for bin in /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -x "$bin" ] && { echo "$bin"; return; }
  done
  echo "Chromium not found; installing Debian's chromium package" >&2
  apt_install chromium || return 1
  echo /usr/bin/chromium
}
