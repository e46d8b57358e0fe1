#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ (see README.md for what each seed is).
# Needs gzip, bzip2 and xz. Reader seeds start with 3 header bytes (how, what, small: see
# libsvm_reader_fuzzer.cpp); CLI seeds start with the command byte (see cli_options_fuzzer.cpp).
set -euo pipefail
cd "$(dirname "$0")"
R=corpus/libsvm_reader
C=corpus/cli_options
rm -rf "$R" "$C"
mkdir -p "$R" "$C"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed NAME HEADER-HEX TEXT: a reader seed with the given header bytes and payload (printf format).
seed() { { printf "\\x${2:0:2}\\x${2:2:2}\\x${2:4:2}"; printf -- "$3"; } >"$R/$1"; }
# seed_file NAME HEADER-HEX FILE: same, payload copied from a file.
seed_file() { { printf "\\x${2:0:2}\\x${2:2:2}\\x${2:4:2}"; cat "$3"; } >"$R/$1"; }

valid='+1 1:0.5 3:1.25 7:-2\n-1 2:1 3:0.5\n+1 1:1e-3 7:4\n-1 5:2.5E+2\n'
printf "$valid" >"$tmp/valid.svm"
gzip -9 -n -c "$tmp/valid.svm" >"$tmp/valid.svm.gz"
bzip2 -9 -c "$tmp/valid.svm" >"$tmp/valid.svm.bz2"
xz -0 -c "$tmp/valid.svm" >"$tmp/valid.svm.xz"
head -c 5000 /dev/zero | tr '\0' '7' | sed 's/^/+1 1:/' | gzip -9 -n -c >"$tmp/long.svm.gz"

# Accepted inputs.
seed ok-plain 000000 "$valid"
seed ok-from-file 080000 "$valid"
seed ok-crlf-comments-qid 000000 '# header comment\r\n\r\n+1 qid:3 1:1 2:2 # trailing\r\n-1\tqid:3\t2:1\r\n'
seed ok-unsorted-indices 000000 '+1 9:1 3:2 5:3\n-1 2:1 1:4\n'
seed ok-no-final-newline 000000 '+1 1:1\n-1 2:2'
seed ok-labels-0-1 000000 '0 1:1\n1 2:1\n0 3:1\n'
seed ok-single-class 000000 '-1 1:1\n-1 2:1\n'
seed ok-empty-rows 000000 '+1\n-1\n+1 4:1\n'
seed ok-denormal-and-signs 000000 '+1 1:4.9e-324 2:+1.5 3:-0\n-1 4:1.7976931348623157e308\n'
seed ok-forced-features-drop 020300 '+1 1:1 9:2\n-1 2:1 4:1\n'
seed ok-forced-labels-0-1 080800 '0 1:1\n1 2:1\n'
seed ok-named 100000 '+1 1:1\n'
seed_file ok-gzip-raw 000000 "$tmp/valid.svm.gz"
seed_file ok-bzip2-raw 000000 "$tmp/valid.svm.bz2"
seed_file ok-xz-raw 000000 "$tmp/valid.svm.xz"
seed_file ok-gzip-from-file-foreground 180000 "$tmp/valid.svm.gz"
seed ok-gzip-wrapped 010000 "$valid"
seed ok-bzip2-wrapped 020000 "$valid"
seed ok-xz-wrapped 030000 "$valid"

# Rejected inputs: one per error path of src/data/libsvm_io.cpp.
seed empty 000000 ''
seed only-comments-and-blanks 000000 '# nothing\n\n   \n\t# more\n'
seed label-not-a-number 000000 'abc 1:1\n'
seed label-missing 000000 '1:1 2:2\n'
seed label-nan 000000 'nan 1:1\n'
seed label-inf 000000 '-inf 1:1\n'
seed label-out-of-range 000000 '1e400 1:1\n'
seed label-double-sign 000000 '+-1 1:1\n'
seed label-third-class 000000 '1 1:1\n2 1:1\n3 1:1\n'
seed label-not-forced 040000 '+1 1:1\n0 1:1\n'
seed index-zero 000000 '+1 0:1\n'
seed index-negative 000000 '+1 -3:1\n'
seed index-above-int32 000000 '+1 2147483648:1\n'
seed index-overflows-int64 000000 '+1 99999999999999999999:1\n'
seed index-above-max-features 000000 '+1 67108865:1\n'
seed index-below-default-max-features 000000 '+1 62108865:1\n'
seed index-above-small-max-features 030300 '+1 1:1 5:1\n'
seed index-beyond-forced-features 010200 '+1 1:1 5:1\n'
seed index-duplicate 000000 '+1 2:1 2:3\n'
seed index-duplicate-unsorted 000000 '+1 3:1 1:1 3:2\n'
seed index-non-increasing-accepted 000000 '+1 3:1 1:2 2:5\n'
seed pair-missing-colon 000000 '+1 5\n'
seed pair-missing-index 000000 '+1 :5\n'
seed pair-index-not-a-number 000000 '+1 x:5\n'
seed pair-missing-value 000000 '+1 5:\n'
seed value-not-a-number 000000 '+1 5:abc\n'
seed value-double-sign 000000 '+1 5:+-1\n'
seed value-trailing-junk 000000 '+1 5:1x\n'
seed value-second-colon 000000 '+1 5:1:2\n'
seed value-nan 000000 '+1 5:nan\n'
seed value-inf 000000 '+1 5:-infinity\n'
seed value-overflow 000000 '+1 5:1e309\n'
seed value-underflow 000000 '+1 5:1e-400\n'
seed value-at-eof-overflow 000000 '+1 5:1e999'
seed qid-malformed 000000 '+1 qid:x 1:1\n'
seed_file token-too-long-gzip 000000 "$tmp/long.svm.gz"
seed zstd-magic 000000 '\x28\xb5\x2f\xfd\x00\x00\x00'
seed gzip-bad-header 000000 '\x1f\x8b\x07\x00\x00\x00\x00\x00'
head -c 20 "$tmp/valid.svm.gz" >"$tmp/t.gz"; seed_file gzip-truncated 000000 "$tmp/t.gz"
head -c -4 "$tmp/valid.svm.gz" >"$tmp/t2.gz"; seed_file gzip-missing-trailer 000000 "$tmp/t2.gz"
head -c 30 "$tmp/valid.svm.bz2" >"$tmp/t.bz2"; seed_file bzip2-truncated 000000 "$tmp/t.bz2"
head -c 40 "$tmp/valid.svm.xz" >"$tmp/t.xz"; seed_file xz-truncated 000000 "$tmp/t.xz"
seed xz-magic-only 000000 '\xfd7zXZ\x00'
seed bzip2-magic-only 000000 'BZh9'
python3 - "$tmp/valid.svm.gz" "$tmp/bad.gz" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[-6] ^= 0xFF  # a byte of the CRC32
open(sys.argv[2], 'wb').write(bytes(data))
PY
seed_file gzip-bad-crc 000000 "$tmp/bad.gz"
seed gzip-wrapped-truncated 050300 "$valid"
seed xz-wrapped-truncated-foreground 170000 "$valid"
seed bzip2-wrapped-truncated-from-file 0e0700 "$valid"

# CLI seeds: command byte (0 none, 1 tune, 2 fit, 3 predict, 4 data info, 5 data convert,
# 6 data split, 7 reproduce, 8 data), then arguments separated by newlines.
cli() { { printf "\\x$2"; printf -- "$3"; } >"$C/$1"; }
cli none-help 00 '--help'
cli none-version 00 '--version'
cli none-unknown-command 00 'frobnicate\n--x'
cli none-empty 00 ''
cli tune-default 01 'train.svm\n--quiet'
cli tune-hoag-test 01 'train.svm\n--validation\ntest.svm\n--test\ntest.svm\n--method\nhoag\n--max-iterations\n3'
cli tune-groups-json 01 'train.svm\n--groups\ngroups.txt\n--json\nrun.json\n--model\nm.json\n--liblinear\nm.txt'
cli tune-grid-bounds 01 'train.svm\n--method\ngrid\n--candidates\n3\n--bounds\n-3,3\n--lambda0\n0.5'
cli tune-bad-method 01 'train.svm\n--method\nnewton'
cli tune-bad-split 01 'train.svm\n--split\n0.9,0.2,x'
cli tune-bad-bounds 01 'train.svm\n--bounds\n3,-3'
cli tune-schedule-rho 01 'train.svm\n--schedule\ncubic\n--epsilon0\n0.5\n--rho\n0.5\n--memory\n5\n--warm-memory\n--fallback\n--stratify\n--intercept'
cli tune-quiet-verbose 01 'train.svm\n-q\n-v'
cli tune-missing-train 01 '--method\nshine'
cli tune-registered-name 01 'spamassassin'
cli fit-lambda 02 'train.svm\n--lambda\n0.01\n--model\nm.json\n--test\ntest.svm\n--liblinear\nm.txt'
cli fit-c 02 'train.svm\n--C\n100\n--model\nm.json\n--intercept\n--tolerance\n1e-8\n--memory\n3'
cli fit-both-lambda-c 02 'train.svm\n--lambda\n1\n--C\n1\n--model\nm.json'
cli fit-no-model 02 'train.svm\n--lambda\n1'
cli fit-lambda-nan 02 'train.svm\n--lambda\nnan\n--model\nm.json'
cli fit-lambda-huge 02 'train.svm\n--lambda\n1e308\n--model\nm.json'
cli fit-threads-negative 02 'train.svm\n--lambda\n1\n--model\nm.json\n--threads\n-1'
# Found by fuzzing: an argument holding one of Boost's message placeholders made it loop.
cli fit-placeholder-option 02 'train.svm\n--lambda\n1\n--f%%canonical_option%%x'
cli tune-placeholder-value 01 'train.svm\n--max-iterations\n%%value%%'
cli predict-probabilities 03 'model.json\ntest.svm\n-p\n--output\nout.txt'
cli predict-ignore-labels 03 'model.json\ntrain.svm\n--ignore-labels\n-q'
cli predict-model-is-data 03 'test.svm\ntest.svm'
cli predict-missing-data 03 'model.json'
cli data-info-file 04 'train.svm'
cli data-info-features 04 'train.svm\n--features\n2'
cli data-info-registered 04 'real-sim'
cli data-convert-xz 05 'train.svm\nout.svm.xz\n--pm1-labels'
cli data-convert-gz-features 05 'test.svm\nout.svm.gz\n--features\n10'
cli data-convert-many-features 05 'test.svm\nout.svm\n--features\n967774770'
cli data-split-stratify 06 'train.svm\n--out\nparts\n--split\n0.5,0.25,0.25\n--seed\n3\n--stratify\n--format\nsvm.bz2'
cli data-split-no-out 06 'train.svm'
cli data-split-bad-format 06 'train.svm\n--out\np\n--format\nzip'
cli reproduce-file 07 '--dataset\ntrain.svm\n--seeds\n0\n--methods\nhoag,shine'
cli reproduce-bad-seeds 07 '--dataset\n20news\n--seeds\n9-0'
cli reproduce-long-seeds 07 '--dataset\n20news\n--seeds\n0-20000'
cli reproduce-bad-methods 07 '--dataset\n20news\n--methods\nall,foo\n--step\nsingle\n--h0\nidentity'
cli reproduce-no-dataset 07 '--seeds\n0-3'
cli data-unknown 08 'merge\na\nb'
cli data-help 08 '--help'
cli nul-separated 02 'train.svm\0--lambda\0001\0--model\0m.json'
echo "$(ls "$R" | wc -l) reader seeds, $(ls "$C" | wc -l) CLI seeds"
