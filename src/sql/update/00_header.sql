-- buypower 0.1.0 -> 0.2.0
--
-- Assembled by the Makefile: this header, the install parts new in 0.2.0
-- (NEW_PARTS), then src/sql/update/NN_topic.sql for changes to 0.1.0 objects,
-- so that an updated installation ends up with exactly the objects of a fresh
-- one (test/scripts/upgrade.sh checks it).

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION buypower UPDATE TO '0.2.0'" to load this file. \quit
