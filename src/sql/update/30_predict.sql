-- predict(model, ARRAY[...]) is planned as predict_values(model, ...), so the
-- feature array is not built for every scored row (predict_values and
-- predict_support come with the new parts, before the categorical predict)

ALTER FUNCTION buypower.predict(buypower.model, float8[]) SUPPORT buypower.predict_support;
