-- buypower demo: the main job, from raw orders to scored, tiered users.
--
--   demo/shop.sql      generates users, orders and events (psql variables
--                      shop_users, default 30000, and shop_seed, default 1)
--   demo/pipeline.sql  features, labels, models, published views, nightly job
--   demo/report.sql    the evaluation a marketing team reads
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS buypower;
\echo '== generating the shop (demo/shop.sql) =='
\i demo/shop.sql
\echo '== features, labels, training, validation, scoring (demo/pipeline.sql) =='
\i demo/pipeline.sql
\i demo/report.sql
