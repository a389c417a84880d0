# statement_timeout cancels long buypower aggregates promptly, serial and
# parallel, and the session keeps working afterwards.
#
# The table has 3M rows x 10 features.  So that "cancelled within 2 s" means
# something, each query repeats the table enough times (a cross join with a
# short series) that an uncancelled run would take about 6 s or more.
use strict;
use warnings;
use POSIX qw(ceil);
use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $TIMEOUT_MS = 300;
my $BOUND_S = 2.0;

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->append_conf('postgresql.conf', "max_worker_processes = 8\nmax_parallel_workers = 4\n");
$node->start;

my $t0 = time;
$node->safe_psql('postgres', <<'SQL');
CREATE EXTENSION buypower;
-- deterministic, roughly uniform integer features from hashint8
CREATE UNLOGGED TABLE big AS
SELECT i, ARRAY[hashint8(i * 10 + 1), hashint8(i * 10 + 2), hashint8(i * 10 + 3),
                hashint8(i * 10 + 4), hashint8(i * 10 + 5), hashint8(i * 10 + 6),
                hashint8(i * 10 + 7), hashint8(i * 10 + 8), hashint8(i * 10 + 9),
                hashint8(i * 10 + 10)]::float8[] AS x
FROM generate_series(1, 3000000) i;
VACUUM ANALYZE big;
SQL
note(sprintf('table of 3M rows built in %.1f s', time - $t0));
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT x[1]) > 2900000 FROM big'),
	'3000000|t', '3M rows of distinct features');

my %query = (
	linreg => 'buypower.linreg(x[1] + 2 * x[2] - x[10], x)',
	# keeps its rows: the cancel lands while blocks of them are being
	# faulted in by the row store's helper thread (src/rowstore.c)
	logreg => 'buypower.logreg((x[1] / 1e9)::bigint % 3 = 0, x)',
	auc => 'buypower.auc(x[1] > 0, x[1] + x[2])',
);

# Time an uncancelled run on a 10% prefix to size the cancelled runs.
my %reps;
for my $what (sort keys %query)
{
	my $s = time;
	$node->safe_psql('postgres',
		"SELECT $query{$what} IS NOT NULL FROM (SELECT x FROM big LIMIT 300000) b");
	my $full = (time - $s) * 10;
	$reps{$what} = $full >= 6 ? 1 : ceil(6 / $full);
	note(sprintf('%s: uncancelled estimate %.1f s per pass, %d pass(es)',
		$what, $full, $reps{$what}));
}

# Run a script that prints 'start' and 'end' epochs around a statement that
# is cancelled; return its output, errors, the server time between the two
# marks (-1 if one is missing) and the session's wall time.
sub run_timed
{
	my ($label, $sql) = @_;
	my ($out, $err) = ('', '');
	my $s = time;
	$node->psql('postgres', $sql, stdout => \$out, stderr => \$err, on_error_stop => 0);
	my $elapsed = time - $s;
	my ($start) = $out =~ /^start\|([\d.]+)$/m;
	my ($end) = $out =~ /^end\|([\d.]+)$/m;
	my $server = defined $start && defined $end ? $end - $start : -1;
	note(sprintf('%s: cancelled after %.3f s in the server, %.3f s wall for the session',
		$label, $server, $elapsed));
	return ($out, $err, $server, $elapsed);
}

my %mode = (
	serial => 'SET max_parallel_workers_per_gather = 0;',
	parallel => 'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; '
	  . 'SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2; '
	  . 'SET buypower.parallel_training = on;',
);

for my $mode (sort keys %mode)
{
	for my $what (sort keys %query)
	{
		my $from = "big, generate_series(1, $reps{$what}) r";
		my $plan = $node->safe_psql('postgres',
			"$mode{$mode} EXPLAIN (COSTS OFF) SELECT $query{$what} FROM $from");
		if ($mode eq 'parallel')
		{
			like($plan, qr/Partial Aggregate/, "$what $mode: plan is parallel");
		}
		else
		{
			unlike($plan, qr/Gather/, "$what $mode: plan is serial");
		}

		my ($out, $err, $server, $elapsed) = run_timed("$what $mode", <<"SQL");
$mode{$mode}
SET statement_timeout = '${TIMEOUT_MS}ms';
SELECT 'start', extract(epoch FROM clock_timestamp());
SELECT $query{$what} FROM $from;
SELECT 'end', extract(epoch FROM clock_timestamp());
RESET statement_timeout;
SELECT 'after',
       round((buypower.predict(buypower.linreg(x[1] + 2 * x[2], x),
                               ARRAY[1e9, 1e9, 0, 0, 0, 0, 0, 0, 0, 0]) / 1e9)::numeric, 6) = 3,
       buypower.auc(x[1] > 0, x[1])
FROM (SELECT x FROM big LIMIT 1000) b;
SQL
		like($err, qr/canceling statement due to statement timeout/,
			"$what $mode: cancelled by statement_timeout");
		cmp_ok($server, '>=', $TIMEOUT_MS / 1000 - 0.01, "$what $mode: ran until the timeout");
		cmp_ok($elapsed, '<', $BOUND_S, "$what $mode: session done within $BOUND_S s");
		like($out, qr/^after\|t\|1$/m, "$what $mode: the same session trains and scores afterwards");
	}
}

# Tree ensembles do most of their work in the final function, after the
# scan: a timeout that fires while trees grow must stop them within a second
# (CHECK_FOR_INTERRUPTS in every histogram pass and tree).  300k rows are
# collected in well under the timeout; 10000 trees would take minutes.
my $TREES_TIMEOUT_MS = 1500;
my %trees = (
	gbdt => q{buypower.gbdt(x[1] > 0, x, '{"trees": 10000, "max_depth": 8}')},
	forest => q{buypower.forest(x[1]::float8, x, '{"trees": 10000}')},
);
for my $mode (sort keys %mode)
{
	for my $what (sort keys %trees)
	{
		my ($out, $err, $server, $elapsed) = run_timed("$what $mode", <<"SQL");
$mode{$mode}
SET statement_timeout = '${TREES_TIMEOUT_MS}ms';
SELECT 'start', extract(epoch FROM clock_timestamp());
SELECT $trees{$what} FROM big WHERE i <= 300000;
SELECT 'end', extract(epoch FROM clock_timestamp());
RESET statement_timeout;
SELECT 'after', buypower.predict(m, (SELECT x FROM big LIMIT 1)) BETWEEN 0 AND 1
FROM (SELECT buypower.gbdt(x[1] > 0, x, '{"trees": 2}') AS m FROM (SELECT x FROM big LIMIT 1000) b) s;
SQL
		like($err, qr/canceling statement due to statement timeout/,
			"$what $mode: cancelled while growing trees");
		cmp_ok($server, '>=', $TREES_TIMEOUT_MS / 1000 - 0.01, "$what $mode: ran until the timeout");
		cmp_ok($elapsed, '<', $TREES_TIMEOUT_MS / 1000 + 1.0,
			"$what $mode: session done within 1 s of the timeout");
		like($out, qr/^after\|t$/m, "$what $mode: the same session trains and scores afterwards");
	}
}

# Nothing is left running and no backend or worker crashed.
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()"),
	'0', 'no query left running');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|PANIC|TRAP:/, 'no crash in the server log');

$node->stop;
done_testing();
