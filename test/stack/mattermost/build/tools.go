//go:build tools

// Package tools pins the Mattermost server command so `go build` can build it as a
// module dependency.
package tools

import _ "github.com/mattermost/mattermost/server/v8/cmd/mattermost"
