# A shell script that forks and execs the way scripts do: pipelines, command substitution,
# external commands, subshells, background jobs, redirections and here-documents.
set -u
printf '%s\n' pear apple fig apple banana | sort | uniq -c | sort -rn | head -3
words=$(printf 'one two three\n' | tr ' ' '\n' | wc -l)
echo "words=$words"
echo "upper=$(echo kontain | tr a-z A-Z)"
( cd /tmp && echo "subshell in $(pwd)" )
(exit 3); echo "subshell status=$?"
set -o pipefail
false | true; echo "pipefail status=$?"
set +o pipefail
sleep 0.2 & bg=$!
echo job > job.txt &
wait $bg; echo "background sleep status=$?"
wait
seq 1 200 > numbers.txt
grep -c 7 numbers.txt
sed -n 's/^1\(9*\)$/one-\1/p' numbers.txt | tail -2
awk '{ s += $1 } END { print "sum=" s }' numbers.txt
cat <<DOC > here.txt
here $words
DOC
cat here.txt job.txt
ls | sort | xargs echo files:
f() { while read -r l; do echo "f:$l"; done; }
printf 'a\nb\n' | f
/bin/sh -c 'echo "from sh, exit 4"; exit 4'; echo "sh status=$?"
exec 3> fd3.txt; echo "via fd 3" >&3; exec 3>&-
cat fd3.txt
