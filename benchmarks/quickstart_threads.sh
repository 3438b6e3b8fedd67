#!/bin/bash
# The quickstart (a quarter of its training strings) before and after a change, alone and beside one busy
# process, one run each, in turns: before-alone, after-alone, after-busy, before-busy.
#   benchmarks/quickstart_threads.sh BEFORE_COMMIT [AFTER_COMMIT]     (run from the repository, .venv installed)
# Each commit is checked out in a temporary worktree and run from there; wall seconds go to standard output.
set -u
before=${1:?usage: benchmarks/quickstart_threads.sh BEFORE_COMMIT [AFTER_COMMIT]}
after=${2:-HEAD}
repo=$(pwd); py=$repo/.venv/bin/python; work=$(mktemp -d)
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
unset OMP_NUM_THREADS OMP_WAIT_POLICY
for side in before after; do git worktree add -q --detach "$work/$side" "${!side}"; done
# Both sides read today's quickstart without its `threads:` line: the old code knows no such key, and the
# new side is to show its automatic choice.
grep -v '^threads:' eval_configs/quickstart.yaml > "$work/quickstart.yaml"
run() {  # name, side
  local start=$SECONDS
  (cd "$work/$2" && PYTHONPATH=. "$py" -m hf_statetrack.cli sweep "$work/quickstart.yaml" \
     --set task.num_train=16000 --output-dir "$work/out-$1" > "$work/$1.log" 2>&1)
  echo "$1 rc=$? wall_s=$((SECONDS - start)) $(grep -a -m1 '^\[threads\]' "$work/$1.log")"
}
busy() { python3 -c "while True: pass" & busy_pid=$!; sleep 1; }
run before-alone before
run after-alone after
busy; run after-busy after; kill $busy_pid
busy; run before-busy before; kill $busy_pid
for side in before after; do git worktree remove --force "$work/$side"; done
echo "logs: $work"
