package cache

import "github.com/edgelab/edgelab/cache/control"

// isInternal reports whether a field is a control field: such fields never
// reach the origin or a client and are never stored.
func isInternal(name string) bool { return control.IsInternal(name) }

// IsControlField reports whether a field name is one of the tiers' internal
// control fields.
func IsControlField(name string) bool { return control.IsInternal(name) }
