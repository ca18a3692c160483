#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# asn-db.pl DIR OUT: build a GeoLite2-ASN-layout MaxMind DB from the CSV
# files of the npm package @ip-location-db/asn (RouteViews, NRO and DB-IP
# data, CC BY 4.0) found in DIR, for trace-once's ASN labels.  `make asn-db`
# runs it.
#
# The writer aliases IPv4 into the IPv6 tree (::ffff:0:0/96, 2002::/16,
# as GeoLite2 does) and refuses to insert into those aliased ranges; such
# CSV rows are skipped and counted on stderr.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($dir, $out) = @ARGV;
die "usage: $0 CSV-DIR OUT.mmdb\n" unless defined $out;

my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 28,
	database_type         => 'GeoLite2-ASN',
	languages             => ['en'],
	description           => {
		en => 'promsnap ASN database from @ip-location-db/asn '
		    . '(RouteViews, NRO, DB-IP; CC BY 4.0)'
	},
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4    => 1,
);

# One CSV line: start,end,asn,org where org may be "quoted, with ""quotes""".
sub fields {
	my ($line) = @_;
	my @f;
	while (length $line) {
		if ($line =~ s/^"((?:[^"]|"")*)"(?:,|$)//) {
			(my $v = $1) =~ s/""/"/g;
			push @f, $v;
		} elsif ($line =~ s/^([^,]*)(?:,|$)//) {
			push @f, $1;
		} else {
			last;
		}
	}
	return @f;
}

my ($n, $skipped, $bad) = (0, 0, 0);
for my $file ("$dir/asn-ipv4.csv", "$dir/asn-ipv6.csv") {
	open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!\n";
	while (my $line = <$fh>) {
		$line =~ s/\r?\n$//;
		my ($first, $last, $asn, $org) = fields($line);
		if (!defined $asn || $asn !~ /^[0-9]+$/ || $asn == 0 ||
		    $asn > 4294967295) {
			$bad++;
			next;
		}
		my %rec = (autonomous_system_number => $asn + 0);
		$rec{autonomous_system_organization} = $org
		    if defined $org && length $org;
		if (eval { $tree->insert_range($first, $last, \%rec); 1 }) {
			$n++;
		} else {
			$skipped++;
		}
	}
	close $fh;
}
open my $o, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($o);
close $o or die "$out: $!\n";
print STDERR "asn-db: $n ranges written to $out; $skipped skipped "
    . "(inside IPv4-aliased IPv6 ranges such as 2002::/16 or reserved), "
    . "$bad malformed\n";
