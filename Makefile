EXTENSION = buypower
EXTVERSION = 0.2.0
MODULE_big = buypower
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one part per responsibility
# (src/sql/NN_topic.sql), as pgvector builds vector--x.y.z.sql.  The update
# script from the previous release is its header, the install parts that are
# new in this release (NEW_PARTS, added whole, so no object is written twice),
# and then src/sql/update/NN_topic.sql for changes to objects that existed
# before.  Install scripts of earlier releases are frozen at the top level
# (buypower--0.1.0.sql) and never edited: ALTER EXTENSION ... UPDATE starts
# from them.  test/scripts/upgrade.sh checks that an updated installation has
# exactly the objects of a fresh one.
PREVVERSION = 0.1.0
UPDATE_SCRIPT = buypower--$(PREVVERSION)--$(EXTVERSION).sql
NEW_PARTS = src/sql/28_predict_values.sql src/sql/50_prep.sql src/sql/50_trees.sql src/sql/52_argument_form.sql src/sql/54_planner_support.sql \
	src/sql/60_features.sql \
	src/sql/65_percentile.sql
DATA_built = buypower--$(EXTVERSION).sql $(UPDATE_SCRIPT)
DATA = $(filter-out $(DATA_built),$(wildcard buypower--*.sql))

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)

# No -ffast-math style flags: reassociation would undo compensated sums.
# -ffp-contract=off keeps a*b+c from being fused differently per build.
override PG_CFLAGS += -ffp-contract=off
# The same for the bitcode that JIT may inline (clang fuses by default).
override BITCODE_CFLAGS += -ffp-contract=off
SHLIB_LINK += -lm

EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

buypower--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

$(UPDATE_SCRIPT): src/sql/update/00_header.sql $(NEW_PARTS) \
		$(filter-out src/sql/update/00_header.sql,$(sort $(wildcard src/sql/update/*.sql)))
	cat $^ > $@

$(OBJS): $(wildcard src/*.h)

.PHONY: prove_installcheck
prove_installcheck:
	rm -rf $(CURDIR)/tmp_check
	cd $(srcdir) && TESTDIR='$(CURDIR)' PATH="$(bindir):$$PATH" PGPORT='6$(DEF_PGPORT)' \
	   PG_REGRESS='$(top_builddir)/src/test/regress/pg_regress' \
	   $(PROVE) $(PG_PROVE_FLAGS) $(PROVE_FLAGS) $(or $(PROVE_TESTS),test/t/*.pl)
