# shellcheck shell=bash
#
# pgenv.sh: shared setup for test/run and demo/run (sourced, not executed).
#
#   bp_install_deps      apt-get install what is missing (root only)
#   bp_private_tree      relocated copy of PostgreSQL 15 under $BP_BUILD
#   bp_build             make clean, make (warnings are errors), make install
#   bp_start_cluster     throwaway cluster on 127.0.0.1:<free port>
#   bp_stop_cluster      stop it and remove its directory (also run on exit)
#
# Settings (environment): BP_BUILD (default <repo>/build; see below), BP_EXTRA_CONF
# (lines appended to postgresql.conf), BP_KEEP=1 (leave the cluster running).

BP_PGMAJOR=15
BP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BP_SYS_PG=/usr/lib/postgresql/$BP_PGMAJOR
umask 022	# the server (user postgres) must read what we build and install

bp_log() { printf '==> %s\n' "$*"; }
bp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

bp_is_root() { [ "$(id -u)" -eq 0 ]; }

# The private tree goes in <repo>/build, unless root's server user postgres
# cannot reach the repo (e.g. a clone under /root): then in /tmp, per repo.
if [ -z "${BP_BUILD:-}" ]; then
	BP_BUILD=$BP_ROOT/build
	if bp_is_root && ! runuser -u postgres -- test -x "$BP_ROOT"; then
		BP_BUILD=/tmp/buypower-build-$(printf '%s' "$BP_ROOT" | md5sum | cut -c1-8)
	fi
fi

# Run a command as the OS user that owns the clusters: PostgreSQL refuses to
# run as root, so root hands over to "postgres"; anyone else runs it directly.
bp_as_pg() {
	if bp_is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Install missing Debian packages; skip apt entirely when all are present.
bp_install_deps() {
	local pkgs=("postgresql-$BP_PGMAJOR" "postgresql-server-dev-$BP_PGMAJOR"
		"postgresql-$BP_PGMAJOR-cron" libipc-run-perl build-essential gcc make perl)
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	bp_is_root || bp_die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
	bp_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Stamp of the installed PostgreSQL packages: the tree is re-copied when it
# changes (minor upgrade, new server-side package such as pg_cron).
bp_pkg_stamp() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}=${Version}\n' 'postgresql*' 2>/dev/null |
		awk '$1 == "ii" { print $2 }' | sort
}

# Make $BP_BUILD/pg a private, relocated copy of the system PostgreSQL.
# Debian's binaries find their lib/share dirs relative to their own path, so
# pg_config, PGXS "make install" and postgres all agree on the copy and
# nothing is ever installed into /usr.
bp_private_tree() {
	[ -x "$BP_SYS_PG/bin/pg_config" ] || bp_die "$BP_SYS_PG/bin/pg_config not found (postgresql-client-$BP_PGMAJOR)"
	local t=$BP_BUILD/pg stamp
	stamp=$(bp_pkg_stamp)
	if [ ! -x "$t/usr/lib/postgresql/$BP_PGMAJOR/bin/postgres" ] ||
		[ "$(cat "$t/.stamp" 2>/dev/null)" != "$stamp" ]; then
		bp_log "copying PostgreSQL $BP_PGMAJOR into $t"
		rm -rf "$t"
		mkdir -p "$t/usr/lib/postgresql" "$t/usr/share/postgresql" "$t/usr/include"
		cp -a "$BP_SYS_PG" "$t/usr/lib/postgresql/"
		cp -a "/usr/share/postgresql/$BP_PGMAJOR" "$t/usr/share/postgresql/"
		ln -s /usr/include/postgresql "$t/usr/include/postgresql"
		printf '%s\n' "$stamp" >"$t/.stamp"
	fi
	PG_CONFIG=$t/usr/lib/postgresql/$BP_PGMAJOR/bin/pg_config
	BP_BIN=$("$PG_CONFIG" --bindir)
	# .../lib/pgxs/src: holds test/regress/pg_regress and test/perl (TAP modules)
	BP_PGXS_SRC=$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")
	export PG_CONFIG BP_BIN BP_PGXS_SRC
	case $("$PG_CONFIG" --pkglibdir) in
	"$t"/*) ;;
	*) bp_die "relocation failed: $PG_CONFIG --pkglibdir points outside $t" ;;
	esac
	# The server runs as postgres, so it must be able to reach the tree.
	if bp_is_root && ! runuser -u postgres -- test -x "$BP_BIN/postgres"; then
		bp_die "user postgres cannot reach $t (a parent directory is private); set BP_BUILD to a path under e.g. /tmp"
	fi
}

# Build and install into the private tree; any compiler warning fails.
bp_build() {
	local cflags="-DUSE_ASSERT_CHECKING -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare"
	bp_log "building buypower (warnings are errors)"
	make -C "$BP_ROOT" -s clean PG_CONFIG="$PG_CONFIG"
	# Drop files of an earlier install (e.g. a since-deleted upgrade script).
	rm -rf "$("$PG_CONFIG" --sharedir)"/extension/buypower[-.]* \
		"$("$PG_CONFIG" --pkglibdir)"/buypower.so "$("$PG_CONFIG" --pkglibdir)"/bitcode/buypower*
	make -C "$BP_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$cflags"
	make -C "$BP_ROOT" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# Print a TCP port on 127.0.0.1 that nothing is listening on.
bp_free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 30000))
		# A successful connect means the port is taken.
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
	echo "$port"
}

# Start a throwaway cluster; exports PGHOST, PGPORT, PGUSER, PGDATABASE.
bp_start_cluster() {
	BP_CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/buypower-pg.XXXXXX")
	chmod 755 "$BP_CLUSTER"
	bp_is_root && chown postgres: "$BP_CLUSTER"
	bp_as_pg "$BP_BIN/initdb" -D "$BP_CLUSTER/data" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$BP_CLUSTER/initdb.log" 2>&1 ||
		{ cat "$BP_CLUSTER/initdb.log" >&2; bp_die "initdb failed"; }
	bp_as_pg sh -c "echo \"include 'test.conf'\" >> '$BP_CLUSTER/data/postgresql.conf'"
	for _ in 1 2 3 4 5; do
		PGPORT=$(bp_free_port)
		bp_as_pg tee "$BP_CLUSTER/data/test.conf" >/dev/null <<-EOF
			listen_addresses = '127.0.0.1'
			port = $PGPORT
			unix_socket_directories = '$BP_CLUSTER'
			fsync = off
			synchronous_commit = off
			full_page_writes = off
			log_min_messages = warning
			# pg_cron schedules the nightly refresh (demo/cron.sql, test/scripts/cron.sh);
			# background workers, so it needs no password or socket to connect
			shared_preload_libraries = 'pg_cron'
			cron.database_name = 'postgres'
			cron.use_background_workers = on
			max_worker_processes = 16
			${BP_EXTRA_CONF:-}
		EOF
		# Another job may grab the port between the check and the bind: retry.
		if bp_as_pg "$BP_BIN/pg_ctl" -D "$BP_CLUSTER/data" -l "$BP_CLUSTER/server.log" \
			-w -t 60 start >/dev/null 2>&1; then
			export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
			bp_log "cluster up on $PGHOST:$PGPORT ($BP_CLUSTER)"
			return 0
		fi
		bp_log "could not start on port $PGPORT, retrying"
	done
	cat "$BP_CLUSTER/server.log" >&2
	bp_die "could not start the test cluster"
}

# Stop the cluster and remove its directory.
bp_stop_cluster() {
	[ -n "${BP_CLUSTER:-}" ] || return 0
	bp_as_pg "$BP_BIN/pg_ctl" -D "$BP_CLUSTER/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$BP_CLUSTER"
	BP_CLUSTER=
}

# Exit trap: stop the cluster unless BP_KEEP=1 asks to leave it running, then
# call the runner's bp_at_exit hook (if defined) with the exit status.
bp_cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "${BP_CLUSTER:-}" ] && [ "${BP_KEEP:-0}" = 1 ]; then
		bp_log "BP_KEEP=1: cluster left running; connect with"
		printf '    %s/psql -h %s -p %s -U postgres postgres\n' "$BP_BIN" "$PGHOST" "$PGPORT" >&2
		printf '    stop: %s %s/pg_ctl -D %s stop && rm -rf %s\n' \
			"$(bp_is_root && echo 'runuser -u postgres --')" "$BP_BIN" "$BP_CLUSTER/data" "$BP_CLUSTER" >&2
	else
		bp_stop_cluster
	fi
	if declare -F bp_at_exit >/dev/null; then bp_at_exit "$rc" || true; fi
	exit "$rc"
}

trap bp_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
