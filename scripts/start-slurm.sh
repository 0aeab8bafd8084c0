#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (munged, slurmctld, slurmd) for the launch
# integration test, installing Debian's slurm-wlm and munge first when they are missing.
# Idempotent: a cluster this script started and that still answers is left as it is.
# Needs root (apt-get, /etc/slurm, the daemons). Exits 0 once `srun -N1 true` works, non-zero
# with the reason otherwise; test/launch-slurm.integration.test.ts runs it and skips on failure.
set -euo pipefail
MARKER='# written by gradswarm scripts/start-slurm.sh'
CONF=/etc/slurm/slurm.conf
LOG_DIR=/var/log/slurm

say() { echo "start-slurm: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "needs root (apt-get, /etc/slurm, the daemons)"
  exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  say "$CONF exists and was not written by this script; leaving it alone"
  exit 1
fi

# Already up (an earlier run of this script)?
if [ -e "$CONF" ] && timeout 20 srun -N1 -n1 true >/dev/null 2>&1; then
  say "the cluster is already running"
  exit 0
fi

host=$(hostname -s)
# More CPUs than the machine has, so `srun --ntasks=3` runs on a 2-core machine; config_overrides
# makes slurmd take the configured count instead of draining the node for it.
cpus=$(( $(nproc) > 8 ? $(nproc) : 8 ))

# munge: a key (Debian's postinst usually made one) and the daemon, run as its own user.
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n >/dev/null 2>&1 || { say "munged did not start"; exit 1; }
fi

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
cat >"$CONF" <<CONF
$MARKER
ClusterName=gradswarm
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
  if timeout 10 srun -N1 -n1 true >/dev/null 2>&1; then
    say "one-node cluster up on $host ($cpus CPUs configured)"
    exit 0
  fi
  sleep 1
done
say "srun does not run a job; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log"
exit 1
