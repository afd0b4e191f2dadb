package app

import "github.com/signedgate/gateway/internal/server/fastlane"

// FastLane is the instance's fast-lane handler, nil with the lane off.
func (a *App) FastLane() fastlane.Handler { return a.fast }
