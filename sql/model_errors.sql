-- buypower.model input: every malformed or hostile text gets a clear error
SELECT 'not json'::buypower.model;
SELECT '[1, 2]'::buypower.model;
SELECT '{}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}} junk'::buypower.model;
SELECT '{"format": 2, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 0, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1.5, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "svm", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": 7, "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": 1, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": -1, "coefficients": [1], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 100000, "coefficients": [1], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 2, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, "2"], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 1e400], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": {"a": 1}, "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2]}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {"wow": 1}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {"r2": "high"}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": []}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "std_errors": [1], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "names": ["a", "b"], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "names": [""], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "names": [3], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}, "extra": 1}'::buypower.model;
SELECT '{"format": 1, "algorithm": "linreg", "intercept": true, "converged": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;
SELECT '{"format": 1, "algorithm": "logreg", "intercept": true, "nfeatures": 1, "coefficients": [1, 2], "stats": {}}'::buypower.model;

-- raw bytes that are not a model never reach the learners or predict
SELECT buypower.predict(NULL::buypower.model, ARRAY[1]) IS NULL AS strict_null;
