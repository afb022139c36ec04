//go:build tools

// Package tools pins the Pulumi CLI that `make pulumi` builds into .tools/pulumi/bin/, the way Pulumi's
// provider repositories pin theirs: blank imports of the commands, built with `GOBIN=... go install`.
// The version is the one of github.com/pulumi/pulumi/pkg/v3 in go.mod; sdk/v3 is pinned to the same release.
//
// Not here: the Node.js language host, module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3.
// It has no release tag of its own, so it would be required at the pseudo-version of the commit that the
// v3.276.0 tag points at, but the Go module proxy refuses the whole module: its version list, @latest and
// every version asked for (pseudo-versions of the v3.259.0 and v3.136.1 release commits among them) answer
// "403 Forbidden, This module version is not available." Without it `pulumi up` on a Node.js program stops
// with "no language plugin 'pulumi-language-nodejs' found in the workspace or on your $PATH".
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version" // -ldflags -X ...version.Version sets what `pulumi version` prints
)
