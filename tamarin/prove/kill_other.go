//go:build !unix

package prove

import "os/exec"

// killGroup leaves exec's default: the process alone is killed.
func killGroup(cmd *exec.Cmd) {}
