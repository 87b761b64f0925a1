#!/bin/bash
# The fresh-laptop check: a non-root user, no zip/unzip/gpg/shellcheck, system python3, a clean clone.
export PATH=$HOME/bin:/opt/i22-rust/bin
export CARGO_HOME=$HOME/.cargo
unset TF_CLI_CONFIG_FILE
cd $HOME/amicopy
( while true; do echo "$(date -u '+%H:%M:%S') $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 30; done ) > $HOME/load.log 2>&1 &
sampler=$!
echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC') commit $(git rev-parse --short HEAD) user $(id -un) uid $(id -u)"
echo "tools: $(command -v zip || echo no-zip) $(command -v gpg || echo no-gpg) $(command -v shellcheck || echo no-shellcheck) python3=$(command -v python3) $(python3 --version) cargo=$(cargo --version)"
s=$(date +%s)
/usr/bin/time -f 'make build: %e s wall, %M KB max RSS' make build > $HOME/build.log 2>&1; echo "make build exit $?"
e=$(date +%s); echo "first dev build (make build): $((e-s)) s"
tail -2 $HOME/build.log
echo "target/ after make build: $(du -sh target | cut -f1); ~/.cargo: $(du -sh $CARGO_HOME | cut -f1)"
s=$(date +%s)
make test > $HOME/test.log 2>&1; rc=$?
e=$(date +%s); echo "make test exit $rc: $((e-s)) s (its own builds of the test targets, the venv and the tools included)"
tail -12 $HOME/test.log
echo "target/ after make test: $(du -sh target | cut -f1); .tools: $(du -sh .tools | cut -f1)"
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
kill $sampler
