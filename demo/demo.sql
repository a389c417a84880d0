-- Placeholder demo: the real walkthrough comes later.
CREATE EXTENSION buypower;
SELECT extversion FROM pg_extension WHERE extname = 'buypower';
