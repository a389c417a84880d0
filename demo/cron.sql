-- demo/cron.sql: schedule the nightly refresh and a weekly retrain with pg_cron.
--
-- pg_cron (Debian: postgresql-15-cron) runs in one database, named by
-- cron.database_name, and needs shared_preload_libraries = 'pg_cron'
-- (test/lib/pgenv.sh sets both for the throwaway clusters).  Run this in that
-- database; the jobs run in the shop's database (here the same one: change
-- the database argument if the shop lives elsewhere).
--
--   psql -d postgres -f demo/cron.sql
CREATE EXTENSION IF NOT EXISTS pg_cron;

-- every night at 03:00: features and scores from today's orders
SELECT cron.schedule_in_database('buypower-nightly', '0 3 * * *', 'CALL shop.nightly()', current_database());

-- every Sunday at 04:00: retrain; a new version is activated only if it passes
-- the held-out AUC / R2 floors in shop.settings, else the previous one keeps
-- scoring.  The nightly refresh then picks up whatever is active.
SELECT cron.schedule_in_database('buypower-retrain', '0 4 * * 0', 'CALL shop.retrain(); CALL shop.nightly()',
                                 current_database());

-- what ran, and how it went:
--   SELECT jobid, status, return_message, start_time, end_time
--   FROM cron.job_run_details ORDER BY start_time DESC LIMIT 10;
