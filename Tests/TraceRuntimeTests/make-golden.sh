#!/bin/sh
# Regenerates GoldenOutputs.swift: what Debian's bpftrace 0.17 prints (stdout only) for scripts
# whose values are fixed, so MapPrinterTests/JSONOutputTests can build the same maps by hand
# and compare byte for byte. Needs root and bpftrace 0.17 on PATH.
#
#   sh Tests/TraceRuntimeTests/make-golden.sh > Tests/TraceRuntimeTests/GoldenOutputs.swift
#
# Scripts must not print value-sorted maps (count, sum, min, max, integers) with tied values:
# bpftrace orders those ties by the kernel's hash order, which changes from run to run.
set -eu

version=$(bpftrace --version)
case "$version" in
*v0.17.*) ;;
*) echo "make-golden.sh: need bpftrace 0.17, found: $version" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'line1\nline2' > "$work/cat.txt"

# A Swift multi-line string literal with the given bytes: backslashes, triple quotes, tabs and
# control bytes escaped, a trailing space kept visible as \u{20}.
swift_literal() {
    perl -e '
        local $/; my $s = <STDIN>;
        $s =~ s/\\/\\\\/g;
        $s =~ s/"""/\\"""/g;
        $s =~ s/\t/\\t/g;
        $s =~ s/\r/\\r/g;
        $s =~ s/([\x00-\x08\x0b-\x1f\x7f])/sprintf("\\u{%x}", ord($1))/ge;
        $s =~ s/ $/\\u{20}/mg;
        my @lines = split(/\n/, $s, -1);
        print "        \"\"\"\n";
        foreach my $l (@lines) { print(($l eq "" ? "" : "        $l") . "\n"); }
        print "        \"\"\"\n";
    '
}

# emit NAME DOC SCRIPT [bpftrace flags...]
emit() {
    name=$1; doc=$2; script=$3; shift 3
    printf '    /// %s\n' "$doc"
    printf '    static let %s =\n' "$name"
    bpftrace "$@" -e "$script" 2>/dev/null | swift_literal
    printf '\n'
}

kinds='BEGIN {
  @a = count(); @a = count();
  @h = hist(5); @h = hist(-1); @h = hist(0); @h = hist(1); @h = hist(1); @h = hist(1 << 40);
  @l = lhist(17, 0, 100, 10); @l = lhist(-3, 0, 100, 10); @l = lhist(100, 0, 100, 10); @l = lhist(250, 0, 100, 10);
  @s = stats(3); @s = stats(7);
  @v = avg(3); @v = avg(8);
  @m[1, "abc"] = 3; @m[2, "x\"y"] = 1;
  @sum = sum(-7); @sum = sum(2);
  @mn = min(-3); @mn = min(10);
  @mx = max(5); @mx = max(9);
  @str[comm, "a string key longer than 16 bytes"] = "value \"quoted\"";
  @tup = (1, "abc", -2);
  @kh["a,b"] = hist(3); @kh["c"] = hist(1000000); @kh["c"] = hist(1000000);
  @ks[7] = stats(10); @ks[-7] = stats(-10);
  exit();
}'

ties=''
for i in $(seq 1 30); do ties="$ties @avg30[$i] = avg($(( (i * 7) % 4 )));"; done
for i in $(seq 1 20); do
  ties="$ties @hist20[$i] = hist($i);"
  if [ $(( i % 3 )) -eq 0 ]; then ties="$ties @hist20[$i] = hist(0);"; fi
done
sorting="BEGIN {
  @cnt[3] = count(); @cnt[-1] = count(); @cnt[-1] = count(); @cnt[-1] = count(); @cnt[256] = count(); @cnt[256] = count();
  @int[5] = 10; @int[-2] = -4; @int[3] = 7; @int[256] = 0;
  @sum[\"x\"] = sum(-5); @sum[\"y\"] = sum(3); @sum[\"z\"] = sum(-2);
  @min[1] = min(-5); @min[2] = min(3); @min[3] = min(-7);
  @max[1] = max(30); @max[2] = max(3); @max[3] = max(17);
  @big[1] = (uint64)-1; @big[2] = 3;
  @st[256] = stats(5); @st[1] = stats(5); @st[2] = stats(5); @st[-1] = stats(5); @st[3] = stats(1);
  @hs[\"ab\"] = hist(5); @hs[\"b\"] = hist(5); @hs[\"a\"] = hist(5); @hs[\"abc\"] = hist(5); @hs[\"\"] = hist(5); @hs[\"z\"] = hist(1); @hs[\"z\"] = hist(1);
  @ls[2, \"b\"] = lhist(3, 0, 10, 1); @ls[1, \"b\"] = lhist(3, 0, 10, 1); @ls[1, \"a\"] = lhist(4, 0, 10, 1);
  @strv[-1, \"b\"] = \"x\"; @strv[2, \"a\"] = \"y\"; @strv[2, \"A\"] = \"z\"; @strv[1, \"zz\"] = \"w\"; @strv[256, \"a\"] = \"q\"; @strv[1, \"z\"] = \"v\"; @strv[2, \"aa\"] = \"s\";
  @tupv[3] = (1, \"a\"); @tupv[-2] = (2, \"b\"); @tupv[1] = (-3, \"c\");
  $ties
  exit();
}"

empty='BEGIN {
  @c[1] = count(); clear(@c);
  @h[1] = hist(3); clear(@h);
  @l[1] = lhist(3, 0, 10, 1); clear(@l);
  @s[1] = stats(4); clear(@s);
  @v[1] = avg(4); clear(@v);
  @z = 5; clear(@z);
  @t[1] = "a"; clear(@t);
  @zs = stats(3); zero(@zs);
  @zh[1] = hist(3); zero(@zh);
  @zl = lhist(3, 0, 10, 1); zero(@zl);
  @zv[1] = avg(3); zero(@zv);
  @zc[1] = count(); zero(@zc);
  @after = 1;
  exit();
}'

topdiv='BEGIN {
  @c[1] = 10; @c[2] = 25; @c[3] = 37; @c[4] = 41;
  @h[1] = hist(3); @h[2] = hist(3); @h[2] = hist(100);
  @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5);
  @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5); @h[3] = hist(5);
  @l[1] = lhist(5, 0, 10, 1); @l[1] = lhist(5, 0, 10, 1); @l[1] = lhist(5, 0, 10, 1); @l[1] = lhist(5, 0, 10, 1);
  @l[2] = lhist(3, 0, 10, 1); @l[2] = lhist(3, 0, 10, 1); @l[2] = lhist(3, 0, 10, 1); @l[3] = lhist(1, 0, 10, 1);
  @s[1] = stats(100); @s[2] = stats(200); @s[3] = stats(300);
  @v[1] = avg(100); @v[2] = avg(200); @v[3] = avg(300);
  @t[1] = "a"; @t[2] = "b"; @t[3] = "c";
  @sm[1] = sum(-25); @sm[2] = sum(7);
  @tu[1] = (-25, "x", 7);
  print(@c, 2, 10); print(@h, 2, 2); print(@l, 2, 2); print(@s, 2, 10); print(@v, 2, 10); print(@t, 2, 10);
  print(@c, 0, 3); print(@c, 10); print(@sm, 0, 10); print(@tu, 0, 10); print(@c);
  printf("--\n");
  clear(@c); clear(@h); clear(@l); clear(@s); clear(@v); clear(@t); clear(@sm); clear(@tu);
  @h2 = hist(7);
  print(@h2); print(@s);
  exit();
}'

values="BEGIN {
  print(1); print(-5); print(\"abc\\\"\\\\\"); print((1, \"a\", (2, \"b\"))); print(comm);
  print((uint64)-1);
  printf(\"a\\tb\\x01\\\"\\\\ %s\\n\", \"q\");
  printf(\"\\xc3\\xa9\\x7f\\x1f\\x0b\\x08\\x0c\\r|\\n\");
  time(\"never\\n\");
  cat(\"$work/cat.txt\"); printf(\"|\\n\");
  system(\"echo sys\");
  @m[\"\\xc3\\xa9\\t\"] = 1;
  exit();
}"

names='BEGIN { @zz = 1; @b = 2; @A = 3; @ = 4; @a_1 = 5; @a = 6; @_x = 7; exit(); }'

huge='BEGIN {
  $x = 1099511627776; @h = hist($x); @h = hist($x * 4); @h = hist(1 << 20); @h = hist(1 << 33); @h = hist(1023); @h = hist(1024);
  @l = lhist(5, 10, 3082, 1024); @l = lhist(2058, 10, 3082, 1024); @l = lhist(5000, 10, 3082, 1024);
  @l2 = lhist(1048576, 0, 3145728, 1048576); @l2 = lhist(0, 0, 3145728, 1048576);
  @l4 = lhist(1024, 1024, 4096, 1024); @l4 = lhist(4096, 1024, 4096, 1024);
  @l5 = lhist(10, 0, 7, 3); @l5 = lhist(6, 0, 7, 3);
  @u = (uint64)-1; @n = -9223372036854775807;
  @s = stats(1000000000000); @s = stats(-3);
  exit();
}'

cat <<'EOF'
// Generated by make-golden.sh from bpftrace 0.17 on Linux (stdout only): do not edit by hand.
// The scripts are in make-golden.sh; each constant names its script and flags.

enum GoldenOutputs {
EOF
emit kindsText "kinds, text: every map kind at exit" "$kinds"
emit kindsJSON "kinds, -f json" "$kinds" -f json
emit sortingText "sorting, text: sort orders and ties" "$sorting"
emit sortingJSON "sorting, -f json" "$sorting" -f json
emit emptyText "empty, text: cleared and zeroed maps of each kind" "$empty"
emit emptyJSON "empty, -f json" "$empty" -f json
emit topDivText "topdiv, text: print(@m, top, div) for each kind" "$topdiv"
emit topDivJSON "topdiv, -f json" "$topdiv" -f json
emit valuesText "values, text: print(value), printf, time, cat, system, escaping" "$values" --unsafe
emit valuesJSON "values, -f json" "$values" --unsafe -f json
emit namesText "names, text: the order of maps at exit" "$names"
emit namesJSON "names, -f json" "$names" -f json
emit hugeText "huge, text: large values, K/M/G labels" "$huge"
emit hugeJSON "huge, -f json" "$huge" -f json
echo "}"
