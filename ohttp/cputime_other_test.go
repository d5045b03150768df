//go:build !linux

package ohttp

import "time"

func threadCPU() time.Duration { return 0 }

const haveThreadCPU = false
