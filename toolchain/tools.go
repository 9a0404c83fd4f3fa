//go:build tools

// Package tools pins the Pulumi CLI (built from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) to the
// same module graph as the plugins in cmd/.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
