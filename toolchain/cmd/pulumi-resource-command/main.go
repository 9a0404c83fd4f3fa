// Command pulumi-resource-command is the project's build of the `command` resource provider
// (version 1.2.1 of @pulumi/command's schema: command:remote:Command and
// command:remote:CopyToRemote).
//
// The upstream provider module (github.com/pulumi/pulumi-command/provider) is not served by the Go
// module proxy this project can reach, so this file implements the same resources with the same
// inputs, outputs and lifecycle on top of the served sdk/v3 module and golang.org/x/crypto/ssh.
// Differences from upstream are deliberate and few: environment falls back to exports sent on
// stdin when the server refuses SSH Setenv, and `proxy` is rejected with a clear error.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set at link time; it must equal the @pulumi/command npm package's plugin version.
var version = "1.2.1"

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{host: host}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
