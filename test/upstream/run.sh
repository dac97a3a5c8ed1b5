#!/usr/bin/env bash
# runc's own test suites as the fork's regression gate.
#
#   run.sh [unit|bats|all]                 run against the fork (build/bin/runc-trace, build/src/runc)
#   run.sh --pristine [unit|bats|all]      run against pristine upstream (build/bin/runc-pristine)
#   run.sh --baseline [unit|bats|all]      run pristine and write test/upstream/baseline/<suite>.txt
#
# RUNC_UNDER_TEST=<path> replaces the runc binary the bats suite drives (e.g. test/upstream/runc-traced);
# the Go unit tests always test the tree's own packages. UPSTREAM_PRISTINE=live runs pristine in the
# same invocation instead of comparing with the committed baseline. UPSTREAM_BATS_FILES="a.bats b.bats"
# limits the bats suite to those files (with --baseline: merged into the existing baseline).
#
# Another base or tree (a rebase exercise, REBASE_PLAN.md): RT_SRC=<dir> takes the trees from
# <dir>/runc and <dir>/runc-pristine and the binaries from <dir>/../bin (the layout runc/build.sh
# makes for the same RT_SRC); UPSTREAM_BASELINE=<dir> reads (and with --baseline writes) the
# baseline there, UPSTREAM_SKIP_LIST=<file> replaces the skip list, UPSTREAM_RESULTS=<dir> replaces
# build/test-results. With UPSTREAM_RESULTS set the counts stay out of `make test`'s summary.
#
# Differential rule: a test that passes on pristine must pass on the fork, and the fork may fail no
# test that is not in test/upstream/skip-list.txt (the tests that fail on pristine on this machine,
# each with its reason). Skip-listed tests still run; their result counts as "skipped".
# Results: build/test-results/upstream-<label>/<suite>.txt, lines "<status> <id>" (pass|fail|skip).
# The last line printed per suite is the summary; exit status is non-zero on any fork failure.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
export PATH=$PATH:/usr/local/go/bin
here=$RT_ROOT/test/upstream
skip_list=${UPSTREAM_SKIP_LIST:-$here/skip-list.txt}
baseline_dir=${UPSTREAM_BASELINE:-$here/baseline}

mode=fork
case ${1:-} in
--pristine) mode=pristine; shift ;;
--baseline) mode=baseline; shift ;;
--inner-bats) mode=inner-bats; shift ;;
esac
suites=${1:-all}
[[ $suites == all ]] && suites="unit bats"

# --- inner: runs inside `script` so that the suite has a controlling pseudo-terminal -------------
if [[ $mode == inner-bats ]]; then
	tree=$1 out=$2 log=$3
	cd "$tree"
	: >"$out"
	for f in tests/integration/*.bats; do
		name=$(basename "$f")
		[[ -z ${UPSTREAM_BATS_FILES:-} || " $UPSTREAM_BATS_FILES " == *" $name "* ]] || continue
		printf '  %-34s' "$name" >&2
		start=$SECONDS
		bats -t "$f" >"$log.$name" 2>&1 || true
		# TAP: "ok N name", "ok N name # skip reason", "not ok N name"
		awk -v file="$name" '
			/^ok [0-9]+ /     { s="pass"; sub(/^ok [0-9]+ /, "") }
			/^not ok [0-9]+ / { s="fail"; sub(/^not ok [0-9]+ /, "") }
			s != "" { if ($0 ~ / # skip/) { s="skip"; sub(/ # skip.*$/, "") }
			          print s " bats:" file ":" $0; s="" }' "$log.$name" >>"$out"
		if ! grep -q "bats:$name:" "$out"; then   # the file did not even start: count it as one failure
			echo "fail bats:$name:<file did not run, see $log.$name>" >>"$out"
		fi
		printf '%4ss  %s\n' $((SECONDS - start)) "$(grep "bats:$name:" "$out" | cut -d' ' -f1 | sort | uniq -c | tr -s ' ' | tr '\n' ' ')" >&2
	done
	exit 0
fi

src=${RT_SRC:-$RT_ROOT/build/src}
bin=$(dirname "$src")/bin
results=${UPSTREAM_RESULTS:-$RT_ROOT/build/test-results}
images=$("$here/images.sh")
eval "$images"

prepare_tree() { # TREE: make the bats suite find the local images instead of downloading
	local t=$1/tests/integration/testdata
	ln -sf "$BUSYBOX_IMAGE" "$t/busybox-amd64.tar.xz"
	ln -sf "$DEBIAN_IMAGE" "$t/debian-amd64.tar.xz"
	[[ -x $1/tests/cmd/_bin/recvtty ]] || rt_die "$1 has no test helper binaries; run 'make build' first"
}

run_unit() { # TREE OUT
	local tree=$1 out=$2 json=$2.json
	prepare_tree "$tree"   # libcontainer/integration finds the busybox image through get-images.sh
	# Root of the module and libcontainer/... (includes specconv and configs): the packages patches touch.
	(cd "$tree" && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1 \
		go test -json -timeout 10m -tags "seccomp urfave_cli_no_docs" . ./libcontainer/... >"$json" 2>"$json.stderr") || true
	# Top-level tests only (subtests are reported through their parent); a package that fails to
	# build or crashes without per-test results counts as one failure.
	jq -r 'select(.Action=="pass" or .Action=="fail" or .Action=="skip")
		| select(.Test == null or (.Test | contains("/") | not))
		| [.Action, .Package, (.Test // "<package>")] | @tsv' "$json" |
		awk -F'\t' '{ sub(/^github.com\/opencontainers\/runc\/?/, "", $2); if ($2 == "") $2 = "."
			if ($3 == "<package>") { if ($1 == "fail") pf[$2]=1; next }
			seen[$2]=1; print $1 " unit:" $2 ":" $3 }
			END { for (p in pf) if (!(p in seen)) print "fail unit:" p ":<package failed to build or run>" }' |
		sort -k2 >"$out"
}

run_bats() { # TREE RUNC OUT
	local tree=$1 out=$3
	prepare_tree "$tree"
	need_tool script bsdutils
	need_tool bats bats
	rm -f "$out.log".*
	# The suite expects the binary file to be called "runc": help.bats matches "runc checkpoint"
	# (urfave/cli names itself after argv[0]) and create.bats allows an fd to "/runc" (the
	# read-only copy of the binary) but not to "/runc-trace". So run a hard link named runc.
	# A wrapper script (not ELF) gets build/bin hard-linked beside a "runc" that it execs, so the
	# tracer helper stays next to the runc binary.
	local bindir=$out.bin
	rm -rf "$bindir"
	mkdir -p "$bindir/real"
	if [[ $(head -c4 "$2") == $'\x7fELF' ]]; then
		ln "$2" "$bindir/runc"
	else
		cp "$2" "$bindir/runc"
		ln "$bin"/* "$bindir/real/"
		ln "$bin/runc-trace" "$bindir/real/runc"
		export RUNC_TRACE_BIN=$bindir/real/runc
	fi
	RUNC=$bindir/runc script -q -e -c "$(printf '%q ' "$here/run.sh" --inner-bats "$tree" "$out" "$out.log")" /dev/null </dev/null
	sort -k2 -o "$out" "$out"
}

count() { # FILE -> "P passed, F failed, S skipped"
	awk '{ n[$1]++ } END { printf "%d passed, %d failed, %d skipped", n["pass"], n["fail"], n["skip"] }' "$1"
}

skip_ids() { [[ -f $skip_list ]] || return 0; sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' -e 's/ -- .*$//' "$skip_list"; }

# apply_skip_list IN OUT: skip-listed tests count as skipped whatever they did.
apply_skip_list() {
	awk 'NR==FNR { skip[$0]=1; next }
		{ id = substr($0, index($0, " ") + 1); print ((id in skip) ? "skip " id : $0) }' <(skip_ids) "$1" >"$2"
}

run_suite() { # SUITE LABEL TREE RUNC -> writes $results/upstream-LABEL/SUITE{.raw,}.txt
	local suite=$1 label=$2 tree=$3 runc=$4 dir=$results/upstream-$2 start
	mkdir -p "$dir"
	rt_log "upstream $suite: $label (${runc#"$RT_ROOT"/})"
	start=$SECONDS
	case $suite in
	unit) run_unit "$tree" "$dir/unit.raw.txt" ;;
	bats) run_bats "$tree" "$runc" "$dir/bats.raw.txt" ;;
	esac
	apply_skip_list "$dir/$suite.raw.txt" "$dir/$suite.txt"
	echo "$((SECONDS - start))" >"$dir/$suite.seconds"
	rt_log "upstream $suite ($label): $(count "$dir/$suite.txt") in $((SECONDS - start))s"
}

if [[ $mode == pristine || $mode == baseline ]]; then
	rc=0
	for s in $suites; do
		run_suite "$s" pristine "$src/runc-pristine" "$bin/runc-pristine"
		r=$results/upstream-pristine
		unlisted=$(grep '^fail ' "$r/$s.txt" | cut -d' ' -f2- || true)
		if [[ -n $unlisted ]]; then
			echo "these tests fail on pristine upstream here but are not in test/upstream/skip-list.txt;" >&2
			echo "add each with the reason it fails on this machine:" >&2
			sed 's/$/ -- REASON/' <<<"$unlisted" >&2
			rc=1
		fi
		if [[ $mode == baseline ]]; then
			mkdir -p "$baseline_dir"
			if [[ $s == bats && -n ${UPSTREAM_BATS_FILES:-} && -f $baseline_dir/bats.txt ]]; then
				# Partial re-run: keep the other files' results from the existing baseline.
				grep -v '^#' "$baseline_dir/bats.txt" | grep -v -F -f <(for f in $UPSTREAM_BATS_FILES; do echo " bats:$f:"; done) |
					cat - "$r/bats.raw.txt" | sort -k2 >"$r/bats.merged.txt"
				cp "$r/bats.merged.txt" "$r/bats.raw.txt"
				apply_skip_list "$r/bats.raw.txt" "$r/bats.txt"
			fi
			{
				echo "# pristine runc results on this machine, written by 'make upstream-baseline' ($(date -u +%F), $(uname -r), $(go env GOVERSION))"
				echo "# duration: $(cat "$r/$s.seconds")s${UPSTREAM_BATS_FILES:+ (partial re-run of $UPSTREAM_BATS_FILES)}; with skip list: $(count "$r/$s.txt")"
				echo "# raw results (skip-listed failures still say fail here):"
				cat "$r/$s.raw.txt"
			} >"$baseline_dir/$s.txt"
			rt_log "wrote ${baseline_dir#"$RT_ROOT"/}/$s.txt"
		fi
	done
	exit $rc
fi

# recheck_on_pristine MINE: the committed baseline was recorded on another machine, and some tests
# skip on what the kernel offers (e.g. cgroups.bats' bfq test needs the BFQ scheduler on a loop
# device, which some kernel builds lack). A test the baseline passes but this run does not is re-run
# here on pristine, its whole file: if pristine does the same here, the machine explains it, not the
# fork, and it counts as skipped with that reason. Anything else stays a failure.
recheck_on_pristine() {
	local mine=$1 flagged files out
	flagged=$(grep '^fail .* (passes on pristine, \(skip\|fail\) here)$' "$mine.final" | cut -d' ' -f2- | sed 's/ (passes on pristine, \(skip\|fail\) here)$//' || true)
	[[ -n $flagged ]] || return 0
	files=$(sed -n 's/^bats:\([^:]*\):.*/\1/p' <<<"$flagged" | sort -u | tr '\n' ' ')
	out=$(dirname "$mine")/bats.recheck.txt
	rt_log "upstream bats: re-running ${files% } on pristine (the baseline passes tests that did not pass here)"
	UPSTREAM_BATS_FILES=$files run_bats "$src/runc-pristine" "$bin/runc-pristine" "$out"
	awk 'FILENAME == ARGV[1] { id = substr($0, index($0, " ") + 1); here[id] = $1; next }
		FILENAME == ARGV[2] { id = substr($0, index($0, " ") + 1); mine[id] = $1; next }
		{ if (match($0, / \(passes on pristine, (skip|fail) here\)$/)) {
			id = substr($0, 6, RSTART - 6)
			if (id in here && here[id] == mine[id]) { print "skip " id " (pristine " here[id] "s it on this machine too)"; next }
		  }
		  print }' "$out" "$mine" "$mine.final" | sort -k2 >"$mine.final.tmp"
	mv "$mine.final.tmp" "$mine.final"
	grep ' on this machine too)$' "$mine.final" | sed 's/^/    explained by this machine: /' >&2 || true
}

# --- fork: run, then compare with pristine (live or baseline) --------------------------------------
runc_under_test=${RUNC_UNDER_TEST:-$bin/runc-trace}
[[ -x $runc_under_test ]] || rt_die "$runc_under_test is not executable; run 'make build' first"
label=fork
[[ -n ${RUNC_UNDER_TEST:-} ]] && label=$(basename "$RUNC_UNDER_TEST")
rc=0
for s in $suites; do
	run_suite "$s" "$label" "$src/runc" "$runc_under_test"
	mine=$results/upstream-$label/$s.txt
	if [[ ${UPSTREAM_PRISTINE:-baseline} == live ]]; then
		run_suite "$s" pristine "$src/runc-pristine" "$bin/runc-pristine"
		ref=$results/upstream-pristine/$s.txt
	else
		ref=$results/upstream-$label/$s.baseline.txt
		[[ -f $baseline_dir/$s.txt ]] || rt_die "no ${baseline_dir#"$RT_ROOT"/}/$s.txt; run 'make upstream-baseline'"
		grep -v '^#' "$baseline_dir/$s.txt" >"$ref.tmp"
		apply_skip_list "$ref.tmp" "$ref"; rm -f "$ref.tmp"
	fi
	# Differential rule: anything failing that is not skip-listed fails, and so does anything pristine
	# passes that the fork does not pass (skipped or missing here).
	# Lines are "<status> <id>"; ids contain spaces.
	awk '{ id = substr($0, index($0, " ") + 1) }
		NR==FNR { ref[id]=$1; next }
		{ seen[id]=1; if (ref[id]=="pass" && $1!="pass") { print "fail " id " (passes on pristine, " $1 " here)"; next } print }
		END { for (i in ref) if (ref[i]=="pass" && !(i in seen)) print "fail " i " (passes on pristine, missing here)" }' \
		"$ref" "$mine" | sort -k2 >"$mine.final"
	[[ $s == bats && ${UPSTREAM_PRISTINE:-baseline} != live ]] && recheck_on_pristine "$mine"
	if grep -q '^fail ' "$mine.final"; then
		echo "upstream $s ($label): failures not explained by test/upstream/skip-list.txt:" >&2
		grep '^fail ' "$mine.final" | cut -d' ' -f2- | sed 's/^/    /' >&2
		rc=1
	fi
	[[ $label == fork ]] && name="upstream $s" || name="upstream $s ($label)"
	echo "$name: $(count "$mine.final") (pristine: $(count "$ref"))"
	[[ -n ${UPSTREAM_RESULTS:-} ]] ||
		"$RT_ROOT/scripts/summary.sh" add "$name" $(awk '{ n[$1]++ } END { print n["pass"]+0, n["fail"]+0, n["skip"]+0 }' "$mine.final")
done
exit $rc
