//go:build unix

package prove

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd the leader of a new process group and, on
// cancellation, kills the whole group: tamarin-prover's maude children
// die with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
