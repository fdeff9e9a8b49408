// Package slurmtest starts a real single-node Slurm cluster for tests:
// munged, slurmctld and slurmd, started by hand (no systemd) as root from a
// configuration written into a temporary folder, and stopped when the test
// ends. The Slurm and MUNGE packages of Debian (slurmctld, slurmd,
// slurm-client, munge) provide the programs; .ci/run installs them.
//
// Where the cluster cannot start (programs missing, not root) the test is
// skipped with the reason, unless FORKRL_REQUIRE_SLURM=1 (set by .ci/run),
// which makes that a failure: CI must run the tests that need Slurm.
package slurmtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a cluster that
// cannot start from a skip into a failure.
const RequireEnv = "FORKRL_REQUIRE_SLURM"

// Partition is the cluster's one partition (its default).
const Partition = "debug"

// Programs are the Slurm and MUNGE programs a cluster needs.
var Programs = []string{"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"}

// Cluster is a running single-node cluster. Start sets SLURM_CONF for the
// test, so Slurm's command-line tools (and the jobs they submit, which
// inherit the environment) talk to it.
type Cluster struct {
	Dir  string // the temporary folder of its configuration, state and logs
	Conf string // slurm.conf
	Node string // the node's name (this host's short name)
	CPUs int    // the CPUs the node offers

	procs []*exec.Cmd
}

// Start starts a cluster with a node of cpus CPUs and waits until the node
// is idle. It skips the test (or fails it, under FORKRL_REQUIRE_SLURM=1)
// with the reason when the cluster cannot start.
func Start(t *testing.T, cpus int) *Cluster {
	t.Helper()
	c, err := start(t, cpus)
	if err != nil {
		msg := fmt.Sprintf("cannot start a Slurm cluster: %v", err)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s (%s=1: the test must run)", msg, RequireEnv)
		}
		t.Skipf("%s; skipping (.ci/run installs slurmctld, slurmd, slurm-client and munge from Debian)", msg)
	}
	return c
}

func start(t *testing.T, cpus int) (*Cluster, error) {
	for _, p := range Programs {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("%s is not installed", p)
		}
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("the daemons are started as root, and this test runs as uid %d", os.Geteuid())
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, err
	}
	host, _, _ = strings.Cut(host, ".")
	// A short folder: the MUNGE socket's path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "slurm-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Node: host, CPUs: cpus}
	t.Cleanup(func() {
		c.stop(t)
		os.RemoveAll(dir)
	})
	for _, sub := range []string{"munge", "state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	key := make([]byte, 1024)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return nil, err
	}
	_, err = f.Read(key)
	f.Close()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "munge", "munge.key"), key, 0o600); err != nil {
		return nil, err
	}
	socket := filepath.Join(dir, "munge", "munge.sock")
	if err := c.daemon("munged", "--foreground", "--force", "--socket="+socket,
		"--key-file="+filepath.Join(dir, "munge", "munge.key"), "--pid-file="+filepath.Join(dir, "munge", "munged.pid"),
		"--seed-file="+filepath.Join(dir, "munge", "seed"), "--log-file="+filepath.Join(dir, "log", "munged.log")); err != nil {
		return nil, err
	}
	if err := waitFor(10*time.Second, func() bool { _, err := os.Stat(socket); return err == nil }); err != nil {
		return nil, fmt.Errorf("munged did not create its socket: %s", c.logs())
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`ClusterName=forkrltest
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[3]d
SlurmdPort=%[4]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=%[2]s/munge/munge.sock
CredType=cred/munge
StateSaveLocation=%[2]s/state
SlurmdSpoolDir=%[2]s/spool
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
SlurmctldLogFile=%[2]s/log/slurmctld.log
SlurmdLogFile=%[2]s/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=1
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MessageTimeout=5
KillWait=5
MinJobAge=600
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[5]d State=UNKNOWN
PartitionName=%[6]s Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
`, host, dir, ports[0], ports[1], cpus, Partition)
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	t.Setenv("SLURM_CONF", c.Conf)
	if err := c.daemon("slurmctld", "-D", "-i", "-f", c.Conf); err != nil {
		return nil, err
	}
	if err := c.daemon("slurmd", "-D", "-f", c.Conf, "-N", host); err != nil {
		return nil, err
	}
	idle := func() bool {
		out, err := exec.Command("sinfo", "--noheader", "--nodes="+host, "--format=%T").Output()
		return err == nil && strings.TrimSpace(string(out)) == "idle"
	}
	if err := waitFor(60*time.Second, idle); err != nil {
		return nil, fmt.Errorf("the node did not become idle within a minute: %s", c.logs())
	}
	return c, nil
}

// daemon starts a daemon in the foreground of its own process group.
func (c *Cluster) daemon(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	out, err := os.Create(filepath.Join(c.Dir, "log", name+".out"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	out.Close()
	c.procs = append(c.procs, cmd)
	return nil
}

// stop cancels every job left on the cluster, then stops the daemons it
// started, newest first.
func (c *Cluster) stop(t *testing.T) {
	// The test's SLURM_CONF is restored before this cleanup runs: name
	// the configuration explicitly.
	tool := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "SLURM_CONF="+c.Conf)
		return cmd
	}
	if len(c.procs) == 3 {
		if out, err := tool("squeue", "--noheader", "--format=%A").Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				_ = tool("scancel", ids...).Run()
				_ = waitFor(15*time.Second, func() bool {
					out, err := tool("squeue", "--noheader").Output()
					return err != nil || len(bytes.TrimSpace(out)) == 0
				})
			}
		}
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Logf("%s did not stop on SIGTERM within 10s; killing it", filepath.Base(p.Path))
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	c.procs = nil
}

// logs is the tail of the daemons' logs, for the message of a failed start.
func (c *Cluster) logs() string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(c.Dir, "log", "*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 8 {
			lines = lines[len(lines)-8:]
		}
		fmt.Fprintf(&b, "\n--- %s\n%s", filepath.Base(f), strings.Join(lines, "\n"))
	}
	return b.String()
}

// Run runs one of Slurm's command-line tools against the cluster and
// returns its output, failing the test when it fails.
func (c *Cluster) Run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePorts returns n TCP ports of 127.0.0.1 that nothing listens on now.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitFor polls ok every 100 ms until it holds or the time is up.
func waitFor(limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
