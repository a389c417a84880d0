# Fuzz buypower.model input: mutate the text and the binary (COPY) form of
# real models and check that every mutant is either rejected with a clean
# error or accepted as a model that round-trips through text and scores.
#
# Mutants are deterministic (srand(42)); the set of SQLSTATEs allowed is
# listed in %TEXT_OK and %BINARY_OK.  A crash, an unexpected SQLSTATE or an
# accepted mutant that does not round-trip fails the test and prints the
# input that caused it.
use strict;
use warnings;
use utf8;
use Encode qw(encode_utf8 decode_utf8);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

srand(42);

# Errors a mutant may raise.
my %TEXT_OK = (
	'22P02' => 'invalid_text_representation',
	'22003' => 'numeric_value_out_of_range (a number beyond float8)',
	'0A000' => 'feature_not_supported (a newer format version)',
	'22P05' => 'untranslatable_character (jsonb refuses \u0000)',
);
my %BINARY_OK = (
	'22P03' => 'invalid_binary_representation',
	'0A000' => 'feature_not_supported (a newer format version)',
	'22P04' => 'bad_copy_file_format (COPY framing of a truncated file)',
);

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->start;

$node->safe_psql('postgres', <<'SQL');
CREATE EXTENSION buypower;
CREATE TABLE train AS
SELECT i, sin(i) AS x1, cos(i * 0.7) AS x2, (i % 5)::float8 AS x3,
       1 / 3.0 + 2 * sin(i) + 3 * cos(i * 0.7) + 0.5 * (i % 5) + 1e-3 * sin(i * 13) AS y
FROM generate_series(1, 300) i;
CREATE TABLE models (id int PRIMARY KEY, m buypower.model);
SET client_min_messages = warning;
INSERT INTO models
SELECT 1, buypower.linreg(y, ARRAY[x1, x2, x3]) FROM train
UNION ALL SELECT 2, buypower.linreg(y, ARRAY[x1, x2, x3], '{"intercept": false}') FROM train
UNION ALL SELECT 3, buypower.linreg(y, ARRAY[x1, x2, x3], '{"names": ["a", "b\"q", "ünï"]}') FROM train
UNION ALL SELECT 4, buypower.linreg(y, ARRAY[x1, x1, x3], '{"names": ["x1", "x1_again", "x3"]}') FROM train
UNION ALL SELECT 5, buypower.linreg(y, ARRAY[x1, x2, x3], '{"l2": 0.5}') FROM train
UNION ALL SELECT 6, buypower.linreg(2 * x1, ARRAY[x1]) FROM train
UNION ALL SELECT 7, buypower.score_distribution(s.m, buypower.predict(s.m, ARRAY[x1, x2, x3]))
  FROM train, (SELECT buypower.linreg(y, ARRAY[x1, x2, x3]) AS m FROM train) s WHERE i <= 40
UNION ALL SELECT 8, buypower.linreg(y, ARRAY[x1, CASE WHEN i % 11 = 0 THEN NULL ELSE x2 END],
                                    ARRAY['k' || (i % 4), CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 3)::text END],
                                    '{"max_categories": 3, "clip": "iqr", "scale": "standard",
                                      "missing_indicators": true}') FROM train
UNION ALL SELECT 9, buypower.gbdt(y > 2, ARRAY[x1, CASE WHEN i % 9 = 0 THEN NULL ELSE x2 END, x3],
                                  '{"trees": 3, "max_depth": 2, "names": ["a", "b", "c"]}') FROM train
UNION ALL SELECT 10, buypower.forest(y, ARRAY[x1, x2], '{"trees": 2, "max_depth": 2}') FROM train;

-- What happens to one accepted model: it must print, read back to the same
-- text, and score (or fail cleanly) on an array of the right length.
CREATE FUNCTION check_model(m buypower.model) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s text;
    nf int;
    p float8;
    n int;
BEGIN
    BEGIN
        s := m::text;
    EXCEPTION WHEN others THEN
        RETURN 'output-error ' || SQLSTATE || ' ' || SQLERRM;
    END;
    BEGIN
        IF s::buypower.model::text IS DISTINCT FROM s THEN
            RETURN 'no-roundtrip ' || s || ' -> ' || s::buypower.model::text;
        END IF;
    EXCEPTION WHEN others THEN
        RETURN 'reinput-error ' || SQLSTATE || ' ' || SQLERRM || ' on ' || s;
    END;
    nf := (s::jsonb ->> 'nfeatures')::int;
    BEGIN
        p := buypower.predict(m, array_fill(0.5::float8, ARRAY[nf]));
        SELECT count(*) INTO n FROM buypower.summary(m);
        IF s::jsonb ? 'score_quantiles' THEN
            p := buypower.percentile(m, p);
        END IF;
    EXCEPTION WHEN others THEN
        IF SQLSTATE LIKE 'XX%' OR SQLSTATE LIKE '58%' THEN
            RETURN 'use-error ' || SQLSTATE || ' ' || SQLERRM;
        END IF;
        RETURN 'accepted use-failed ' || SQLSTATE;
    END;
    RETURN 'accepted';
END $$;

CREATE FUNCTION try_text(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m buypower.model;
BEGIN
    BEGIN
        m := t::buypower.model;
    EXCEPTION WHEN others THEN
        RETURN 'error ' || SQLSTATE;
    END;
    RETURN check_model(m);
END $$;

CREATE TABLE target (m buypower.model);
CREATE FUNCTION try_copy(f text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m buypower.model;
    r text := 'accepted';
    n int := 0;
BEGIN
    DELETE FROM target;
    BEGIN
        EXECUTE format('COPY target FROM %L (FORMAT binary)', f);
    EXCEPTION WHEN others THEN
        RETURN 'error ' || SQLSTATE;
    END;
    FOR m IN SELECT t.m FROM target t LOOP
        n := n + 1;
        r := check_model(m);
        EXIT WHEN r NOT LIKE 'accepted%';
    END LOOP;
    RETURN CASE WHEN n = 0 THEN 'accepted empty' ELSE r END;
END $$;
SQL

# Model texts by id, as characters.
my %model;
for my $line (split /\n/,
	$node->safe_psql('postgres', 'SELECT id, m::text FROM models ORDER BY id'))
{
	my ($id, $text) = split /\|/, decode_utf8($line), 2;
	$model{$id} = $text;
}
is(scalar(keys %model), 10, 'ten models trained (9 and 10: tree ensembles)');
like($model{7}, qr/"score_quantiles": \[/, 'model 7 has a score distribution');
like($model{8}, qr/"preprocessing": \{.*"levels": \["k0", "k1", "k2"\]/, 'model 8 has preprocessing and categories');
like($model{4}, qr/"coefficients": \[[^\]]*null/, 'model 4 has an aliased coefficient');
like($model{3}, qr/"names": \["a", "b\\"q", "ünï"\]/, 'model 3 has names');
like($model{5}, qr/"l2": 0\.5/, 'model 5 is a ridge fit');
like($model{2}, qr/"intercept": false/, 'model 2 has no intercept');

# ----------------------------------------------------------------------
# Text mutants
# ----------------------------------------------------------------------

my @numbers = (
	'1e308', '1e309', '-1e309', '1e-400', '4.9e-324', '2.2250738585072014e-308',
	'-0', '0', '-1', '1.5', '2147483648', '-2147483649', '99999999999999999999999',
	'1e999999999', 'NaN', '"NaN"', 'Infinity', '"Infinity"', '"-Infinity"',
	'null', 'true', '"1"', '[]', '{}', '[1]', '0x10', '01', '+1', '.5', '1.',
	'1e', '-', '1000', '1001', '255', '256');
my @injections = (
	'\u00e9', '\ud83d\ude00', '\ud800', '\udc00', '\u0000', '\\\\', '\"', '\\',
	'"', "é", "😀", "\x{FFFD}", "\x{202E}", '\n', "\t", "\x01", '\x41', '\u12',
	'{', '}', '[', ']', ',', ':', '""', ' ', "\x{FEFF}");
my $charset = join '', ('{', '}', '[', ']', '"', ':', ',', '\\', ' ', '-', '.',
	'e', 'E', '0' .. '9', 'a' .. 'z', 'é', 'ü', "\x{2028}");

sub pick { return $_[ int(rand(scalar @_)) ]; }

# One random mutation of a text.
sub random_mutant
{
	my ($t) = @_;
	my $op = int(rand(7));
	my $pos = int(rand(length $t));
	if ($op == 0) { substr($t, $pos, 1) = ''; }
	elsif ($op == 1) { substr($t, $pos, 0) = substr($t, $pos, 1); }
	elsif ($op == 2)
	{
		substr($t, $pos, 1) = substr($charset, int(rand(length $charset)), 1);
	}
	elsif ($op == 3)
	{
		my @spans;
		while ($t =~ /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g)
		{
			push @spans, [ $-[0], $+[0] - $-[0] ];
		}
		my $s = pick(@spans);
		substr($t, $s->[0], $s->[1]) = pick(@numbers);
	}
	elsif ($op == 4) { substr($t, $pos, 0) = pick(@injections); }
	elsif ($op == 5 && $pos + 1 < length $t)
	{
		substr($t, $pos, 2) = reverse substr($t, $pos, 2);
	}
	else { substr($t, $pos, 1 + int(rand(20))) = ''; }
	return $t;
}

# Mutants aimed at each key and rule of the format.
sub targeted_mutants
{
	my ($t) = @_;
	my @out;
	my ($nf) = $t =~ /"nfeatures": (\d+)/;
	my $sub = sub {
		my ($re, $repl) = @_;
		my $u = $t;
		# a code ref gets the first capture group
		my $ok = ref $repl ? ($u =~ s/$re/$repl->($1)/e) : ($u =~ s/$re/$repl/);
		push @out, $u if $ok;
	};
	$sub->(qr/"nfeatures": \d+/, "\"nfeatures\": $_")
	  for ($nf + 1, $nf - 1, 0, 1000, 1001, -1, 2147483648, 1.5, "\"$nf\"", 'null');
	$sub->(qr/"format": 1/, "\"format\": $_")
	  for (0, 2, 255, 256, -1, '1.0', '1e0', '"1"', 'true', '1.5', '1e400');
	$sub->(qr/"intercept": \w+/, "\"intercept\": $_") for ('null', '1', '"true"');
	$sub->(qr/"algorithm": "linreg"/, "\"algorithm\": $_")
	  for ('"logreg"', '"LINREG"', '""', '"tree"', '1');
	$sub->(qr/"algorithm": "linreg"/, '"algorithm": "logreg", "converged": true');
	$sub->(qr/"intercept": (\w+)/, sub { "\"intercept\": $_[0], \"converged\": false" });
	# repeated keys: jsonb keeps the last
	$sub->(qr/^\{/, '{"nfeatures": ' . ($nf + 1) . ', ');
	$sub->(qr/\}$/, ', "nfeatures": ' . ($nf + 1) . '}');
	$sub->(qr/\}$/, ', "format": 2}');
	$sub->(qr/\}$/, ', "format": 1}');
	$sub->(qr/\}$/, ', "coefficients": [1]}');
	$sub->(qr/\}$/, ', "stats": {}}');
	$sub->(qr/\}$/, ', "foo": 1}');
	$sub->(qr/\}$/, ', "names": "x"}');
	# coefficients
	$sub->(qr/("coefficients": \[[^\]]*), [^,\]]+\]/, sub { "$_[0]]" });
	$sub->(qr/("coefficients": \[[^\]]*)\]/, sub { "$_[0], 1]" });
	$sub->(qr/"coefficients": \[[^,\]]+/, '"coefficients": [null');
	$sub->(qr/"coefficients": \[[^,\]]+/, "\"coefficients\": [$_")
	  for ('"Infinity"', '1e309', '1e-400', '"1"', '[1]', '4.9e-324', '-0');
	(my $allnull = $t) =~ s/("coefficients": \[)([^\]]*)/$1 . join(', ', ('null') x ($nf + 1))/e;
	push @out, $allnull;
	$sub->(qr/"coefficients": \[[^\]]*\]/, '"coefficients": {}');
	# std_errors
	$sub->(qr/, "std_errors": \[[^\]]*\]/, '');
	$sub->(qr/("std_errors": \[[^\]]*), [^,\]]+\]/, sub { "$_[0]]" });
	$sub->(qr/"std_errors": \[[^,\]]+/, "\"std_errors\": [$_")
	  for ('"NaN"', '[1]', '"-Infinity"', 'true');
	# stats
	$sub->(qr/"stats": \{/, "\"stats\": {$_")
	  for ('"foo": 1, ', '"n": "x", ', '"n": {}, ', '"n": 1e400, ', '"N": 1, ',
		'"n": ' . ('[' x 1000) . (']' x 1000) . ', ');
	$sub->(qr/"stats": \{[^}]*\}/, '"stats": []');
	$sub->(qr/, "stats": \{[^}]*\}/, '');
	$sub->(qr/"stats": \{[^}]*\}/,
		'"stats": {' . join(', ', map { "\"$_\": 1" } qw(n n_skipped rank df_residual r2
			  adj_r2 sigma rss tss f_statistic f_pvalue condition_number l2 log_likelihood
			  null_deviance deviance aic bic iterations positive_weight negative_weight tol))
		  . '}');
	# names
	if ($t =~ /"names": /)
	{
		$sub->(qr/"names": \["[^"]*"/, "\"names\": [$_")
		  for ('""', '"\u0000"', '"\ud800"', '"\ud83d\ude00"', '"é"',
			'"a\"b\\\\c\n\t\u0001"', '"' . ('n' x 10000) . '"', '123', 'null');
		$sub->(qr/"names": \[/, '"names": ["extra", ');
		$sub->(qr/"names": \[[^\]]*\]/, '"names": []');
	}
	else
	{
		my $names = join ', ', map { "\"f$_\"" } 1 .. $nf;
		$sub->(qr/, "coefficients"/, ", \"names\": [$names], \"coefficients\"");
		$sub->(qr/, "coefficients"/, ", \"names\": [$names, \"g\"], \"coefficients\"");
	}
	# whole documents and layout
	push @out, '', '{}', '[]', 'null', '1', '"str"', "\x{FEFF}$t", "$t x", "$t}";
	(my $ws = $t) =~ s/([,:]) /$1\n\t /g;
	push @out, $ws;
	return @out;
}

my (@mutants, %seen);
sub add_mutant
{
	my ($from, $how, $t) = @_;
	return if $seen{$t}++;
	push @mutants, { from => $from, how => $how, text => $t };
}
for my $id (sort keys %model)
{
	my $t = $model{$id};
	add_mutant($id, 'original', $t);
	add_mutant($id, 'targeted', $_) for targeted_mutants($t);
	add_mutant($id, 'random', random_mutant($t)) for 1 .. 20;
	my $step = int(length($t) / 15) + 1;
	for (my $k = 0; $k < length $t; $k += $step)
	{
		add_mutant($id, "truncated at $k", substr($t, 0, $k));
	}
}

# One statement per mutant in one session: a crash ends the output early.
my $script = "SET client_min_messages = warning;\n";
for my $i (0 .. $#mutants)
{
	(my $q = $mutants[$i]{text}) =~ s/'/''/g;
	$script .= "SELECT $i, try_text('$q');\n";
}
my ($out, $err) = ('', '');
$node->psql('postgres', encode_utf8($script),
	stdout => \$out, stderr => \$err, on_error_stop => 0);

my %result;
for my $line (split /\n/, decode_utf8($out))
{
	my ($i, $r) = split /\|/, $line, 2;
	$result{$i} = $r;
}
my (%states, $accepted, @bad);
for my $i (0 .. $#mutants)
{
	my $r = $result{$i};
	my $m = $mutants[$i];
	my $label = "text mutant $i (model $m->{from}, $m->{how}): $m->{text}";
	if (!defined $r)
	{
		push @bad, "no result (server crash?) for $label";
		last;
	}
	if ($r =~ /^error (\w{5})$/)
	{
		$states{$1}++;
		push @bad, "SQLSTATE $1 for $label" unless $TEXT_OK{$1};
	}
	elsif ($r =~ /^accepted/)
	{
		$accepted++;
		$states{accepted}++;
	}
	else
	{
		push @bad, "$r\n  for $label";
	}
}
note(sprintf('%d text mutants: %s', scalar @mutants,
	join(', ', map { "$_ $states{$_}" } sort keys %states)));
cmp_ok(scalar @mutants, '>=', 300, 'at least 300 text mutants');
is(scalar(keys %result), scalar @mutants, 'every text mutant got a result');
is(encode_utf8(join("\n", @bad)), '', 'text mutants: clean errors or round-tripping models');
diag($err) if $err ne '';
is($result{0}, 'accepted', 'the unmutated model 1 is accepted');
ok($states{$_}, "some text mutant raises $_") for qw(22P02 22003 0A000);
cmp_ok($accepted // 0, '>=', 6 + 10, 'the originals and some harmless mutants are accepted');

# ----------------------------------------------------------------------
# Binary mutants, fed through COPY ... (FORMAT binary)
# ----------------------------------------------------------------------

my $dir = $node->basedir . '/fuzz';
mkdir $dir or die "mkdir $dir: $!";

# A binary COPY file of one row with one field.
my $copy_sig = "PGCOPY\n\377\r\n\0" . pack('NN', 0, 0);
sub copy_file
{
	my ($payload) = @_;
	return $copy_sig . pack('nN', 1, length $payload) . $payload . pack('n', 0xFFFF);
}

my %payload;
for my $id (sort keys %model)
{
	my $f = "$dir/model_$id.bin";
	$node->safe_psql('postgres',
		"COPY (SELECT m FROM models WHERE id = $id) TO '$f' (FORMAT binary)");
	my $bytes = slurp_file($f);
	my ($nfields, $len) = unpack('nN', substr($bytes, 19, 6));
	die "unexpected COPY file for model $id"
	  unless substr($bytes, 0, 19) eq $copy_sig && $nfields == 1
	  && length($bytes) == 19 + 6 + $len + 2;
	$payload{$id} = substr($bytes, 25, $len);
	die "copy_file does not rebuild model $id" unless copy_file($payload{$id}) eq $bytes;
}

# Offsets of the header fields and section headers of a model payload.
sub sections
{
	my ($p) = @_;
	my ($nsections) = unpack('l>', substr($p, 8, 4));
	my ($off, @s) = (12);
	for (1 .. $nsections)
	{
		my ($tag, $type, $count) = unpack('nnl>', substr($p, $off, 8));
		push @s, { off => $off, tag => $tag, type => $type, count => $count };
		$off += 8 + ($type == 1 ? 8 * $count : $count);
	}
	die "bad payload walk" unless $off == length $p;
	return @s;
}

my @bmutants;
sub add_binary
{
	my ($from, $how, $p, $raw) = @_;
	push @bmutants,
	  { from => $from, how => $how, file => defined $raw ? $raw : copy_file($p) };
}
sub poke
{
	my ($p, $off, $fmt, $v) = @_;
	substr($p, $off, length pack($fmt, $v)) = pack($fmt, $v);
	return $p;
}

# Every byte of model 4 (all five section types) inverted.
my $p4 = $payload{4};
for my $i (0 .. length($p4) - 1)
{
	my $u = $p4;
	substr($u, $i, 1) = chr(ord(substr($u, $i, 1)) ^ 0xFF);
	add_binary(4, "byte $i inverted", $u);
}
for my $id (sort keys %payload)
{
	my $p = $payload{$id};
	my $len = length $p;
	my ($nf) = unpack('l>', substr($p, 4, 4));
	my @s = sections($p);
	add_binary($id, 'original', $p);
	for (1 .. 8)
	{
		my $u = $p;
		my $i = int(rand($len));
		substr($u, $i, 1) = chr(ord(substr($u, $i, 1)) ^ (1 + int(rand(255))));
		add_binary($id, "byte $i xor", $u);
	}
	add_binary($id, "version $_", poke($p, 0, 'C', $_)) for (0, 2, 255);
	add_binary($id, "kind $_", poke($p, 1, 'C', $_)) for (0, 2, 3);
	add_binary($id, "flags $_", poke($p, 2, 'n', $_)) for (0, 2, 4, 0x8000);
	add_binary($id, "nfeatures $_", poke($p, 4, 'l>', $_))
	  for (-1, $nf + 1, 1001, 0x7fffffff);
	add_binary($id, "nsections $_", poke($p, 8, 'l>', $_))
	  for (0, @s - 1, @s + 1, 65, -1);
	for my $k (0 .. $#s)
	{
		my $o = $s[$k]{off};
		add_binary($id, "section $k count $_", poke($p, $o + 4, 'l>', $_))
		  for (0x7fffffff, -1, $s[$k]{count} + 1, $s[$k]{count} - 1, 0x20000000);
		add_binary($id, "section $k elemtype $_", poke($p, $o + 2, 'n', $_))
		  for (3 - $s[$k]{type}, 3);
		add_binary($id, "section $k tag $_", poke($p, $o, 'n', $_))
		  for (0, 6, $k > 0 ? $s[ $k - 1 ]{tag} : 5);
		if ($s[$k]{tag} == 4 && $s[$k]{count} >= 4)
		{
			# statistics: a repeated id, and two pairs out of order
			my $pairs = $o + 8;
			add_binary($id, 'stats id repeated',
				poke($p, $pairs + 16, 'a8', substr($p, $pairs, 8)));
			my $u = $p;
			substr($u, $pairs, 32) = substr($p, $pairs + 16, 16) . substr($p, $pairs, 16);
			add_binary($id, 'stats pairs swapped', $u);
		}
		if ($s[$k]{tag} == 30 && $s[$k]{count} >= 2)
		{
			# score quantiles (percentile.c): out of order, not finite
			add_binary($id, 'quantiles out of order', poke($p, $o + 8, 'a8', pack('d>', 1e300)));
			add_binary($id, 'quantile infinite', poke($p, $o + 8, 'a8', pack('Q>', 0x7ff0000000000000)));
		}
	}
	add_binary($id, 'trailing byte', $p . "\0");
	add_binary($id, "payload cut to $_", substr($p, 0, $_))
	  for (0, 1, 2, 4, 8, 11, 12, 20, int($len / 2), $len - 8, $len - 1);
}
# Truncated COPY files (the framing itself is broken).
my $f4 = copy_file($p4);
add_binary(4, "file cut to $_", undef, substr($f4, 0, $_))
  for (0, 5, 11, 19, 21, 25, 100, length($f4) - 2, length($f4) - 1);

my $bscript = "SET client_min_messages = warning;\n";
for my $i (0 .. $#bmutants)
{
	my $f = sprintf('%s/mutant_%04d.bin', $dir, $i);
	open my $fh, '>:raw', $f or die "open $f: $!";
	print $fh $bmutants[$i]{file};
	close $fh;
	$bmutants[$i]{path} = $f;
	$bscript .= "SELECT $i, try_copy('$f');\n";
}
($out, $err) = ('', '');
$node->psql('postgres', $bscript, stdout => \$out, stderr => \$err, on_error_stop => 0);
%result = ();
for my $line (split /\n/, decode_utf8($out))
{
	my ($i, $r) = split /\|/, $line, 2;
	$result{$i} = $r;
}
(%states, $accepted, @bad) = ();
for my $i (0 .. $#bmutants)
{
	my $r = $result{$i};
	my $m = $bmutants[$i];
	my $label = "binary mutant $i (model $m->{from}, $m->{how}), file "
	  . unpack('H*', $m->{file});
	if (!defined $r)
	{
		push @bad, "no result (server crash?) for $label";
		last;
	}
	if ($r =~ /^error (\w{5})$/)
	{
		$states{$1}++;
		push @bad, "SQLSTATE $1 for $label" unless $BINARY_OK{$1};
	}
	elsif ($r =~ /^accepted/)
	{
		$accepted++;
		$states{accepted}++;
	}
	else
	{
		push @bad, "$r\n  for $label";
	}
}
note(sprintf('%d binary mutants: %s', scalar @bmutants,
	join(', ', map { "$_ $states{$_}" } sort keys %states)));
is(scalar(keys %result), scalar @bmutants, 'every binary mutant got a result');
is(encode_utf8(join("\n", @bad)), '', 'binary mutants: clean errors or round-tripping models');
diag($err) if $err ne '';
ok($states{$_}, "some binary mutant raises $_") for qw(22P03 0A000 22P04);
my @qm = grep { $bmutants[$_]{how} =~ /^quantile/ } 0 .. $#bmutants;
is(scalar(@qm), 2, 'two score-quantile mutants');
is(join(',', map { $result{$_} } @qm), 'error 22P03,error 22P03', 'bad score quantiles are rejected');
cmp_ok($accepted // 0, '>=', 6, 'the unmutated binary models are accepted');

# ----------------------------------------------------------------------
# The server survived
# ----------------------------------------------------------------------

is($node->safe_psql('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'checkpointer'"),
	't', 'server still up, pg_stat_activity readable');
is($node->safe_psql('postgres',
		"SELECT buypower.predict(m, ARRAY[1, 2, 3]) IS NOT NULL FROM models WHERE id = 1"),
	't', 'models still score');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|was terminated by|PANIC|TRAP:/,
	'no backend crashed or failed an assertion');

$node->stop;
done_testing();
