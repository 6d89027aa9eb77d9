#!/bin/sh
# asktell_lab.sh DIR [CONFIG]: a manual experiment driven from the shell with llmbo ask/tell
# (docs/asktell.md). Each round prints the next conditions, waits for the measured value (or
# "failed") on the terminal and records it. Stop at any time (Ctrl-C, a closed laptop, kill -9):
# run the script again with the same DIR and it carries on with the point still pending.
#
#   examples/asktell_lab.sh runs/lab examples/lab.json
#
# MEASURE="command" replaces the terminal: the command gets the point's {"name": value} line
# on stdin and prints the value (exit status != 0: a failed experiment), as an external
# objective would; the tests use it with examples/external_objective.py.
set -u
DIR=${1:?usage: asktell_lab.sh DIR [CONFIG]}
CONFIG=${2:-examples/lab.json}
LLMBO=${LLMBO:-llmbo}
MEASURE=${MEASURE:-}

field() { # field NAME LINE: the value of "NAME" in one line of llmbo ask's output
    case $1 in
    id) printf '%s\n' "$2" | sed 's/^{"id":\([0-9]*\),.*/\1/' ;;
    x) printf '%s\n' "$2" | sed 's/^.*"x":\({[^}]*}\).*$/\1/' ;;
    esac
}

if [ ! -f "$DIR/config.json" ]; then
    point=$("$LLMBO" ask "$DIR" --config "$CONFIG") || exit
else
    point=""
fi
while [ ! -f "$DIR/summary.json" ]; do
    # A point asked earlier and never told comes first (the script was stopped in between).
    [ -n "$point" ] || point=$("$LLMBO" ask "$DIR" --pending | head -n 1) || exit
    [ -n "$point" ] || point=$("$LLMBO" ask "$DIR") || exit
    id=$(field id "$point")
    x=$(field x "$point")
    echo "experiment $id: $x"
    if [ -n "$MEASURE" ]; then
        if value=$(printf '%s\n' "$x" | sh -c "$MEASURE" 2> /dev/null); then
            value=$(printf '%s\n' "$value" | sed 's/^{"value": *\([^}]*\)}$/\1/')
        else
            value=failed
        fi
    else
        printf 'measured value (or "failed"): '
        read -r value || exit
    fi
    if [ "$value" = failed ]; then
        "$LLMBO" tell "$DIR" "$id" --failed "reported failed by hand" > /dev/null || exit
    else
        "$LLMBO" tell "$DIR" "$id" "$value" || exit
    fi
    point=""
done
echo "done: $DIR/summary.json"
