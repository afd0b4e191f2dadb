// Package deploy reads the deployment files at the root of the repository
// (Dockerfile, .dockerignore, docker-compose.yml) so that its tests can hold
// them to the gateway's configuration, to the packages CI installs for the
// engine tests (.ci/apt-packages), and to what Docker itself accepts. The
// gateway binary does not import it.
//
// The readers understand the subset of each format these files use and
// refuse what they do not understand (a Dockerfile heredoc, a compose key
// outside the typed subset of the Compose specification in compose.go)
// rather than guess. Where docker is installed the tests also run
// `docker compose config` and `docker build --check`; elsewhere those tests
// are skipped, saying why.
package deploy
