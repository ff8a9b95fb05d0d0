// compose-check loads a Compose file with the Compose specification's reference loader (compose-go, the library
// `docker compose config` runs) and then checks what the loader leaves to the Docker engine: that every
// bind-mounted path, build context, Dockerfile, env file, config and secret file exists. It prints the resolved
// project as JSON on stdout, or the problems on stderr with exit status 1. No Docker daemon is needed.
//
//	compose-check [-project-directory DIR] [-file docker-compose.yml] [-profile NAME]...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	dir := flag.String("project-directory", ".", "the project directory (relative paths resolve from it)")
	file := flag.String("file", "docker-compose.yml", "the Compose file, relative to the project directory")
	name := flag.String("project-name", "messenger", "the project name")
	var profiles stringList
	flag.Var(&profiles, "profile", "a profile to enable (repeatable)")
	flag.Parse()

	project, err := load(*dir, *file, *name, profiles)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	if problems := missingFiles(project); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "compose-check:", p)
		}
		os.Exit(1)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	var pretty map[string]any
	_ = json.Unmarshal(out, &pretty)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(pretty)
}

// load reads the file as `docker compose --profile ... config` does: the environment of the process, then the
// project directory's .env, interpolation, the specification's schema, consistency checks (undefined services,
// volumes, networks), profiles, and every service's environment with its env files read.
func load(dir, file, name string, profiles []string) (*types.Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	options, err := cli.NewProjectOptions(
		[]string{filepath.Join(abs, file)},
		cli.WithWorkingDirectory(abs),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithName(name),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	return project.WithServicesEnvironmentResolved(false)
}

// missingFiles lists the host paths enabled services need that do not exist. A missing bind-mount source would
// become an empty directory created by the engine (a config file mounted as a directory), found only at start-up.
func missingFiles(project *types.Project) []string {
	var problems []string
	need := func(service, what, path string, dir bool) {
		info, err := os.Stat(path)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("service %q: %s %s does not exist", service, what, path))
		case dir && !info.IsDir():
			problems = append(problems, fmt.Sprintf("service %q: %s %s is not a directory", service, what, path))
		}
	}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		service := project.Services[name]
		if b := service.Build; b != nil {
			need(name, "build context", b.Context, true)
			if b.DockerfileInline == "" {
				dockerfile := b.Dockerfile
				if dockerfile == "" {
					dockerfile = "Dockerfile"
				}
				if !filepath.IsAbs(dockerfile) {
					dockerfile = filepath.Join(b.Context, dockerfile)
				}
				need(name, "Dockerfile", dockerfile, false)
			}
		}
		for _, volume := range service.Volumes {
			if volume.Type == types.VolumeTypeBind {
				need(name, "bind-mount source", volume.Source, false)
			}
		}
		for _, envFile := range service.EnvFiles {
			if envFile.Required {
				need(name, "env file", envFile.Path, false)
			}
		}
		for _, ref := range service.Configs {
			if config, ok := project.Configs[ref.Source]; ok && config.File != "" {
				need(name, "config file", config.File, false)
			}
		}
		for _, ref := range service.Secrets {
			if secret, ok := project.Secrets[ref.Source]; ok && secret.File != "" {
				need(name, "secret file", secret.File, false)
			}
		}
	}
	return problems
}
