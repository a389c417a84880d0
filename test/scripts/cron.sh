#!/usr/bin/env bash
#
# cron.sh: the nightly pg_cron job of demo/cron.sql is created and runs.
#
# Builds a small shop and its pipeline in a fresh database, changes orders,
# schedules the refresh every minute with pg_cron (in database postgres,
# cron.database_name), waits for cron.job_run_details to report success
# (at most ~75 s: pg_cron 1.4 schedules by the minute), and checks that the
# published scores moved for the users whose orders changed, and only for them.
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=buypower_cron
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
trap 'psql -d postgres -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = '"'"'buypower-test'"'"'" >/dev/null 2>&1 || true; psql -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT

psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d $DB -v shop_users=2000 -f demo/shop.sql
psql -d $DB -v ON_ERROR_STOP=1 -f demo/pipeline.sql
psql -d $DB -c "CREATE TABLE shop.before AS SELECT * FROM shop.user_scores" \
	-c "INSERT INTO shop.orders SELECT 10000000 + u, u, timestamptz '2026-06-30 12:00+00', 'home', 900, 0, false
	    FROM unnest(ARRAY[5, 6, 7]) u"

psql -d postgres -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
jobid=$(psql -d postgres -At -c "SELECT cron.schedule_in_database('buypower-test', '* * * * *', 'CALL shop.nightly()', '$DB')")
[ -n "$jobid" ] || { echo "no job id"; exit 1; }
echo "scheduled job $jobid; waiting for it to run"
status=
for _ in $(seq 1 90); do
	status=$(psql -d postgres -At -c "SELECT status FROM cron.job_run_details WHERE jobid = $jobid
	                                   AND status IN ('succeeded', 'failed') ORDER BY start_time DESC LIMIT 1")
	[ -n "$status" ] && break
	sleep 1
done
psql -d postgres -c "SELECT jobid, status, return_message FROM cron.job_run_details WHERE jobid = $jobid"
[ "$status" = succeeded ] || { echo "job did not succeed (status '$status')"; exit 1; }

# scores of users 5, 6, 7 changed; nobody else's did
changed=$(psql -d $DB -At -c "SELECT string_agg(user_id::text, ',' ORDER BY user_id)
	FROM shop.user_scores s JOIN shop.before b USING (user_id) WHERE s.predicted_spend <> b.predicted_spend")
echo "users whose scores changed: $changed"
[ "$changed" = "5,6,7" ] || { echo "expected 5,6,7"; exit 1; }
echo "ok: pg_cron job $jobid ran shop.nightly() and refreshed the scores"
