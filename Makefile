EXTENSION = buypower
EXTVERSION = 0.1.0
MODULE_big = buypower
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one part per responsibility
# (src/sql/NN_topic.sql), as pgvector builds vector--x.y.z.sql.
DATA_built = buypower--$(EXTVERSION).sql
DATA = $(filter-out buypower--$(EXTVERSION).sql,$(wildcard buypower--*.sql))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)

# No -ffast-math style flags: reassociation would undo compensated sums.
# -ffp-contract=off keeps a*b+c from being fused differently per build.
override PG_CFLAGS += -ffp-contract=off
SHLIB_LINK += -lm

EXTRA_CLEAN = buypower--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

buypower--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

$(OBJS): $(wildcard src/*.h)

.PHONY: prove_installcheck
prove_installcheck:
	rm -rf $(CURDIR)/tmp_check
	cd $(srcdir) && TESTDIR='$(CURDIR)' PATH="$(bindir):$$PATH" PGPORT='6$(DEF_PGPORT)' \
	   PG_REGRESS='$(top_builddir)/src/test/regress/pg_regress' \
	   $(PROVE) $(PG_PROVE_FLAGS) $(PROVE_FLAGS) $(or $(PROVE_TESTS),test/t/*.pl)
