-- logreg: every error path, one bad input per line
SET extra_float_digits = 0;

-- labels must be 0 or 1 (or boolean), and finite
SELECT buypower.logreg(y, ARRAY[1.0]::float8[]) FROM (VALUES (0.0::float8), (2.0)) v(y);
SELECT buypower.logreg(y, ARRAY[1.0]::float8[]) FROM (VALUES (1.0::float8), (-1.0)) v(y);
SELECT buypower.logreg(y, ARRAY[1.0]::float8[]) FROM (VALUES (0.5::float8)) v(y);
-- ... also when the rows are kept for preprocessing (checked as they arrive)
SELECT buypower.logreg(y, ARRAY[1.0]::float8[], '{"clip": "iqr"}') FROM (VALUES (0.0::float8), (3.0)) v(y);
SELECT buypower.logreg(y, ARRAY[1.0]::float8[], ARRAY['a'], '{}') FROM (VALUES (1.0::float8), (0.25)) v(y);
SELECT buypower.logreg(y, ARRAY[1.0]::float8[]) FROM (VALUES ('NaN'::float8)) v(y);
SELECT buypower.logreg(y, ARRAY[1.0]::float8[]) FROM (VALUES ('Infinity'::float8)) v(y);
-- features must be finite, one-dimensional, NULL-free, of one width
SELECT buypower.logreg(true, ARRAY['NaN']::float8[]);
SELECT buypower.logreg(true, ARRAY[[1.0, 2.0]]::float8[]);
SELECT buypower.logreg(true, ARRAY[1.0, NULL]::float8[], '{"impute": "error"}');
SELECT buypower.logreg(y, x) FROM (VALUES (true, ARRAY[1.0, 2.0]::float8[]), (false, ARRAY[1.0])) v(y, x);

-- NULL labels and feature arrays are skipped and counted; no rows: NULL
SELECT (m::jsonb -> 'stats' ->> 'n')::int AS n, (m::jsonb -> 'stats' ->> 'n_skipped')::int AS skipped
  FROM (SELECT buypower.logreg(y, x) AS m
          FROM (VALUES (true, ARRAY[1.0]::float8[]), (false, ARRAY[2.0]), (NULL, ARRAY[3.0]),
                       (true, NULL), (false, ARRAY[0.5]), (true, ARRAY[2.5])) v(y, x)) s;
SELECT buypower.logreg(true, ARRAY[1.0]::float8[]) IS NULL AS empty FROM generate_series(1, 0);
SELECT buypower.logreg(NULL::boolean, ARRAY[1.0]::float8[]) IS NULL AS all_null;

-- both classes are needed
SELECT buypower.logreg(true, ARRAY[i]::float8[]) FROM generate_series(1, 10) i;
SELECT buypower.logreg(0.0::float8, ARRAY[i]::float8[]) FROM generate_series(1, 10) i;

-- singular design without a penalty: constant or collinear features
SELECT buypower.logreg(i % 2 = 0, ARRAY[i % 3, 1]::float8[]) FROM generate_series(1, 100) i;
SELECT buypower.logreg(i % 2 = 0, ARRAY[i % 3, i % 5, 2 * (i % 3) - i % 5]::float8[]) FROM generate_series(1, 100) i;
SELECT buypower.logreg(i % 2 = 0, ARRAY[0, i % 3]::float8[], '{"intercept": false}') FROM generate_series(1, 100) i;
-- ... which a penalty makes estimable
SELECT (buypower.logreg(i % 2 = 0, ARRAY[i % 3, 1]::float8[], '{"l2": 0.1}')::jsonb ->> 'converged')::boolean AS converged
  FROM generate_series(1, 100) i;

-- bad options
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '[]');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"l2": -1}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"l2": "big"}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"max_iter": 0}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"max_iter": 2.5}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"tol": 0}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"tol": 1}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"intercept": "yes"}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"class_weight": "even"}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"class_weight": {"2": 1}}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"class_weight": {"1": 0}}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"names": ["a", "b"]}');
SELECT buypower.logreg(true, ARRAY[1.0]::float8[], '{"alpha": 1}');

-- the rows must fit in buypower.max_training_memory
SET buypower.max_training_memory = 1024;
SELECT buypower.logreg(i % 2 = 0, ARRAY[i, i, i, i, i, i, i, i, i, i]::float8[])
  FROM generate_series(1, 20000) i;
SELECT (buypower.logreg(i % 3 = 0, ARRAY[i % 5, i % 7]::float8[])::jsonb ->> 'converged')::boolean AS fits_below_cap
  FROM generate_series(1, 20000) i;
RESET buypower.max_training_memory;
