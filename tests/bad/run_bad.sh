#!/usr/bin/env bash
# run_bad.sh: the bad-input corpus of the scenario loader.
#
# usage: run_bad.sh INFERCAP TESTS_BAD_DIR
#
# For every case of TESTS_BAD_DIR/expected.tsv (see the comments at its top):
#   infercap validate FILE ARGS               must exit 2 and print FRAGMENT on stderr;
#   infercap run FILE ARGS -o TMP/x.h5 -q     must exit 2, print FRAGMENT on stderr, and leave
#                                             neither x.h5 nor x.h5.tmp-* behind.
# minimal-valid.json itself must validate (exit 0) and run (exit 0, x.h5 written), and every
# *.json of the directory must be listed.  One line per failing case, then a summary; the exit
# status is non-zero when anything failed.  Cases marked "bug: ..." in the fourth column are
# known loader bugs: reported, not counted as failures (IC_BAD_STRICT=1 counts them).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 INFERCAP TESTS_BAD_DIR" >&2
    exit 2
fi
bin=$1
dir=${2%/}
tsv=$dir/expected.tsv
strict=${IC_BAD_STRICT:-0}

if [ ! -x "$bin" ]; then
    echo "run_bad.sh: $bin is not an executable" >&2
    exit 2
fi
if [ ! -r "$tsv" ]; then
    echo "run_bad.sh: cannot read $tsv" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/infercap-bad.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT TERM

# A loader that hangs must fail the case, not the whole test run.
limit=()
if command -v timeout >/dev/null 2>&1; then limit=(timeout 120); fi

n_cases=0 n_pass=0 n_fail=0 n_bug=0 n_fixed=0

# What an exit status means, for the messages.
describe_rc() {
    case $1 in
        124) echo "timed out (exit 124)" ;;
        0 | 1 | 2 | 3) echo "exit $1" ;;
        *) if [ "$1" -gt 128 ]; then echo "crashed (signal $(($1 - 128)), exit $1)"; else echo "exit $1"; fi ;;
    esac
}

# The first lines of the command's stderr (or of its stdout when stderr is empty).
excerpt() {
    if [ -s "$tmp/stderr" ]; then
        head -n 3 -- "$tmp/stderr" | cut -c 1-300 | sed -e 's/^/    | /'
    elif [ -s "$tmp/stdout" ]; then
        echo "    | (no stderr; stdout:)"
        head -n 2 -- "$tmp/stdout" | cut -c 1-300 | sed -e 's/^/    | /'
    else
        echo "    | (no output)"
    fi
}

# Run one command; check its exit status and its stderr.  Sets $problem (empty when fine).
# usage: check_cmd WHAT WANT_RC FRAGMENT COMMAND...
check_cmd() {
    local what=$1 want=$2 frag=$3
    shift 3
    local rc=0
    ${limit[@]+"${limit[@]}"} "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null || rc=$?
    if [ "$rc" -ne "$want" ]; then
        problem+="  $what: expected exit $want, got $(describe_rc "$rc")"$'\n'
        problem+="$(excerpt)"$'\n'
        return
    fi
    if [ -n "$frag" ] && ! grep -qF -- "$frag" "$tmp/stderr"; then
        problem+="  $what: expected stderr to contain: $frag"$'\n'
        problem+="  stderr was:"$'\n'"$(excerpt)"$'\n'
    fi
}

# ---- the valid base scenario -------------------------------------------------------------------

base=$dir/minimal-valid.json
problem=""
check_cmd "validate" 0 "" "$bin" validate "$base"
mkdir -p "$tmp/run"
check_cmd "run" 0 "" "$bin" run "$base" -o "$tmp/run/x.h5" -q
if [ -z "$problem" ] && [ ! -f "$tmp/run/x.h5" ]; then
    problem+="  run: exit 0 but no x.h5 was written"$'\n'
fi
rm -rf -- "$tmp/run"
if [ -n "$problem" ]; then
    echo "FAIL minimal-valid.json (the valid base of every case):"
    printf '%s' "$problem"
    n_fail=$((n_fail + 1))
fi

# ---- the cases ---------------------------------------------------------------------------------

listed=$'\n' # the FILE column of every case, one per line
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case $line in '' | '#'*) continue ;; esac
    IFS=$'\t' read -r file argstr frag note <<<"$line"
    file=${file:-}
    argstr=${argstr:-}
    frag=${frag:-}
    note=${note:-}
    if [ -z "$file" ] || [ -z "$argstr" ] || [ -z "$frag" ]; then
        echo "FAIL expected.tsv:$lineno: expected FILE<TAB>ARGS<TAB>FRAGMENT[<TAB>bug: NOTE], got: $line"
        n_fail=$((n_fail + 1))
        continue
    fi
    listed+="$file"$'\n'
    n_cases=$((n_cases + 1))
    args=()
    if [ "$argstr" != "-" ]; then
        # Split at spaces only: no globbing, no quote removal.
        read -r -a args <<<"$argstr"
    fi
    label="$file"
    if [ "$argstr" != "-" ]; then label+=" $argstr"; fi

    problem=""
    if [ ! -f "$dir/$file" ]; then
        problem+="  no such file: $dir/$file"$'\n'
    else
        check_cmd "validate" 2 "$frag" "$bin" validate "$dir/$file" ${args[@]+"${args[@]}"}
        mkdir -p "$tmp/run"
        check_cmd "run" 2 "$frag" "$bin" run "$dir/$file" ${args[@]+"${args[@]}"} -o "$tmp/run/x.h5" -q
        left=$(cd "$tmp/run" && ls -A)
        if [ -n "$left" ]; then
            problem+="  run: left output behind: $(echo "$left" | tr '\n' ' ')"$'\n'
        fi
        rm -rf -- "$tmp/run"
    fi

    if [[ $note == bug* ]]; then
        if [ -n "$problem" ]; then
            if [ "$strict" = 1 ]; then
                echo "FAIL $label (known loader bug, IC_BAD_STRICT=1; ${note#bug: }):"
                printf '%s' "$problem"
                n_fail=$((n_fail + 1))
            else
                echo "KNOWN BUG $label (${note#bug: }):"
                printf '%s' "$problem"
                n_bug=$((n_bug + 1))
            fi
        else
            echo "FIXED $label: marked as a known loader bug but passes; remove the \"bug\" column from expected.tsv:$lineno"
            n_fixed=$((n_fixed + 1))
            n_fail=$((n_fail + 1))
        fi
    elif [ -n "$problem" ]; then
        echo "FAIL $label:"
        printf '%s' "$problem"
        n_fail=$((n_fail + 1))
    else
        n_pass=$((n_pass + 1))
    fi
done <"$tsv"

# ---- every file of the corpus is a case --------------------------------------------------------

for f in "$dir"/*.json; do
    [ -e "$f" ] || continue
    name=${f##*/}
    if [ "$name" != minimal-valid.json ] && [[ $listed != *$'\n'"$name"$'\n'* ]]; then
        echo "FAIL $name: not listed in expected.tsv"
        n_fail=$((n_fail + 1))
    fi
done

echo "bad_inputs: $n_cases cases: $n_pass passed, $n_bug known loader bugs, $n_fixed fixed bugs still marked, $n_fail failures"
[ "$n_fail" -eq 0 ]
