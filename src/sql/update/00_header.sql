-- buypower 0.1.0 -> 0.2.0
--
-- Assembled from src/sql/update/NN_topic.sql: every object a 0.2.0 feature
-- adds to src/sql/ is added here too, so that an updated installation ends up
-- with exactly the objects of a fresh one (test/scripts/upgrade.sh checks it).

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION buypower UPDATE TO '0.2.0'" to load this file. \quit
