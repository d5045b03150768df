package cache

import "strings"

// ControlPrefix starts the name of every internal control field tiers
// exchange. Such fields are removed from what reaches the origin or a
// client and are never stored.
const ControlPrefix = "Edgelab-Ctl-"

// isInternal reports whether a canonical field name is a control field.
func isInternal(name string) bool {
	return len(name) >= len(ControlPrefix) && strings.EqualFold(name[:len(ControlPrefix)], ControlPrefix)
}
