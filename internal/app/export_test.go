package app

import "github.com/signedgate/gateway/internal/server/fastlane"

// FastLane is the instance's fast-lane handler, nil with the lane off.
func (a *App) FastLane() fastlane.Handler { return a.fast }

// AdminRoutes are the patterns of the /v1 calls the instance registered.
func (a *App) AdminRoutes() []string { return a.admin.Routes() }
