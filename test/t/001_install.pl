# Smoke test: the extension installs into a fresh cluster at the right version.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION buypower');
is($node->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'buypower'"),
	'0.2.0', 'extension version');
is($node->safe_psql('postgres',
		"SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'buypower'"),
	'buypower', 'extension schema');

$node->stop;
done_testing();
