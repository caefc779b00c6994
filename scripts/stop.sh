#!/usr/bin/env bash
# `make stop`: stops this clone's private PostgreSQL cluster (the one the set-up starts when no configured server
# answers) and nothing else; its data stays for the next `make run`, which starts it again.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ ! -f "$PRIVATE_PG_DIR/PG_VERSION" ]; then
    say "This clone has no private PostgreSQL cluster (none in $PRIVATE_PG_DIR): nothing to stop"
    exit 0
fi
bin=$(pg_bin_dir)
if private_postmaster_runs; then
    say "Stopping the private PostgreSQL cluster $PRIVATE_PG_DIR"
    as_cluster_owner "$bin/pg_ctl" -D "$PRIVATE_PG_DIR" -w stop -m fast >/dev/null
else
    say "The private PostgreSQL cluster $PRIVATE_PG_DIR is not running"
fi
if [ "$PRIVATE_PG_BASE" = "$DATA_DIR" ]; then
    made="'$PRIVATE_PG_DIR' '$PRIVATE_PG_LOG' '$PRIVATE_PG_SOCKET'"
else
    made="'$PRIVATE_PG_BASE'"; [[ $PRIVATE_PG_SOCKET = "$PRIVATE_PG_BASE"/* ]] || made+=" '$PRIVATE_PG_SOCKET'"
fi
cat <<MSG
  Its data: $PRIVATE_PG_DIR
  Its log:  $PRIVATE_PG_LOG
  To remove them (every database in it is lost): rm -rf $made
MSG
