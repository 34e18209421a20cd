#!/bin/sh
# ClaimDesk developer entry point. Works on a fresh Debian machine with only Python 3.11.
#   ./dev.sh start   install everything, migrate, seed the demo, serve http://127.0.0.1:8000
#                    (HOST=0.0.0.0 PORT=8080 ./dev.sh start to serve elsewhere)
#   ./dev.sh test    install everything the tests need (Debian's chromium too), run the whole suite
set -eu
cd "$(dirname "$0")"
VENV=.venv
PY="$VENV/bin/python"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "Need root to run: $*" >&2; exit 1; fi
}

apt_install() {
  # Debian packages the project needs that a bare machine may lack.
  as_root apt-get update -qq
  # env, not a prefix assignment: sudo's env_reset would drop it and debconf could prompt.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
  if [ ! -x "$PY" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
    "$PY" -m pip install -q --upgrade pip
  fi
}

ensure_requirements() {
  # Reinstall only when the requirements file changed since the last install.
  stamp="$VENV/.installed-$(basename "$1")"
  if [ ! -f "$stamp" ] || [ "$1" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    "$PY" -m pip install -q --disable-pip-version-check -r "$1"
    touch "$stamp"
  fi
}

secret_key() {
  mkdir -p var
  if [ ! -s var/secret-key ]; then
    "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret-key
    chmod 600 var/secret-key
  fi
  cat var/secret-key
}

# A throwaway PostgreSQL server on 127.0.0.1:$PGPORT for the test suite's second run.
PGPORT="${CLAIMDESK_TEST_PG_PORT:-54329}"
start_test_postgres() {
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$initdb" ]; then
    apt_install postgresql
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  fi
  bindir=$(dirname "$initdb")
  PGTEST_DIR=$(mktemp -d /tmp/claimdesk-pg.XXXXXX)
  run_pg=""
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$PGTEST_DIR"  # PostgreSQL refuses to run as root
    run_pg="runuser -u postgres --"
  fi
  # UTF8 whatever the machine's LANG: without it initdb may pick SQL_ASCII.
  $run_pg "$bindir/initdb" -D "$PGTEST_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  $run_pg "$bindir/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $PGTEST_DIR -F" start >/dev/null
  trap '$run_pg "$bindir/pg_ctl" -D "$PGTEST_DIR/data" -m fast stop >/dev/null 2>&1; rm -rf "$PGTEST_DIR"' EXIT
}

case "${1:-}" in
  start)
    mkdir -p var  # secrets and the worker's log; not in git
    ensure_venv
    ensure_requirements requirements.txt
    DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-$(secret_key)}"
    CLAIMDESK_TASK_BACKEND="${CLAIMDESK_TASK_BACKEND:-database}"
    export DJANGO_SECRET_KEY CLAIMDESK_TASK_BACKEND
    # Static files first: migrate runs the system checks, and W001 would say they are missing.
    "$PY" manage.py collectstatic --no-input -v0
    "$PY" manage.py migrate --no-input -v0
    "$PY" manage.py seed_demo
    if [ "$CLAIMDESK_TASK_BACKEND" = database ]; then
      # Background jobs (stance training) run in this worker; it stops with the server.
      "$PY" manage.py db_worker --no-startup-delay >var/worker.log 2>&1 &
      worker=$!
      trap 'kill $worker 2>/dev/null' EXIT INT TERM
    fi
    echo "ClaimDesk at http://${HOST:-127.0.0.1}:${PORT:-8000}/ (log in with a demo account above; Ctrl-C stops)"
    "$PY" manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
    ;;
  test)
    ensure_venv
    ensure_requirements requirements-test.txt
    # Debian's chromium for the browser tests, and libatomic1, which Playwright's own node
    # driver needs and a minimal Debian lacks (checked in a fresh debootstrap'd bookworm).
    if [ ! -x /usr/bin/chromium ] || ! /sbin/ldconfig -p | grep -q 'libatomic\.so\.1'; then
      apt_install chromium libatomic1
    fi
    shift
    "$PY" -m ruff check --quiet .
    # The whole suite on the embedded defaults (SQLite, in-process tasks)...
    "$PY" -m pytest "$@"
    # ...and everything that touches the database again on PostgreSQL (CLAIMDESK_TEST_POSTGRES=0 skips it).
    if [ "${CLAIMDESK_TEST_POSTGRES:-1}" != 0 ]; then
      start_test_postgres
      echo "--- the database tests again, on PostgreSQL"
      DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres" "$PY" -m pytest -m "not browser" --ignore=tests/nlp "$@"
    fi
    ;;
  *)
    echo "usage: ./dev.sh start | ./dev.sh test [pytest args]" >&2
    exit 2
    ;;
esac
