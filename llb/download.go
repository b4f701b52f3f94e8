// Module download: the go.mod and go.sum the download reads, the go mod
// download step with its credentials (netrc, ssh), and the options of the
// offline go commands that mount what it fetched.

package llb

import (
	"path"
	"slices"
	"strconv"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/gobuild/gobuild/spec"
)

// modFiles holds only what `go mod download` reads, so only these files
// invalidate it.
func (in input) modFiles() bk.State {
	patterns := []string{path.Join(in.dir(), "go.mod"), path.Join(in.dir(), "go.sum")}
	if in.Module.Work != nil {
		patterns = append(patterns, path.Join(in.Module.Work.Dir, "go.work"), path.Join(in.Module.Work.Dir, "go.work.sum"))
		for _, u := range in.Module.Work.Uses {
			patterns = append(patterns, path.Join(in.Module.Work.Dir, u, "go.mod"), path.Join(in.Module.Work.Dir, u, "go.sum"))
		}
	}
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)
	for i, p := range patterns {
		patterns[i] = escapePattern(p)
	}
	return bk.Scratch().File(bk.Copy(in.Context, "/", "/", &bk.CopyInfo{
		IncludePatterns:     patterns,
		CopyDirContentsOnly: true,
		AllowEmptyWildcard:  true,
	}), bk.WithCustomName("go.mod and go.sum"))
}

// Where the module download step mounts the credentials it may use.
const (
	netrcPath      = "/root/.netrc"
	knownHostsPath = "/run/secrets/known_hosts"
)

// Secrets and SSH ids the module download step uses, when given.
const (
	NetrcSecret      = "netrc"
	KnownHostsSecret = "known_hosts"
	SSHID            = "default"
)

// download fetches every module the build needs and returns them as a
// layer: the module cache, for the offline steps to mount at GOMODCACHE. A
// layer, unlike a cache mount, exists whenever the step's cache does (a
// remote cache brings both) and is keyed by what the step read, so the
// offline steps never find it missing or stale. It runs on the build
// platform with no target-specific input, so all platforms share it. It is
// the one go command with network access, and the only step that sees the
// netrc secret and the ssh agent. The /src mount is writable because go may
// add to go.sum or go.work.sum; what it writes is dropped. A vendored module
// downloads nothing: the layer is empty.
//
// When go.sum says what to fetch, the download is split (sumdownload.go).
func (in input) download() bk.State {
	if in.Module.Vendor {
		return bk.Scratch()
	}
	if in.splitDownload() {
		return in.sumDownloads()
	}
	opts := []bk.RunOption{
		bk.Args([]string{"go", "mod", "download"}),
		bk.Dir(in.workdir()),
		bk.AddMount(srcDir, in.modFiles(), bk.ForceNoOutput),
		bk.WithCustomName("go mod download"),
	}
	opts = append(opts, in.fetchOpts()...)
	return in.Builder.Run(opts...).AddMount(modCache, bk.Scratch())
}

// fetchOpts are the options of a step that fetches modules: the go
// environment and the credentials (netrc, ssh).
func (in input) fetchOpts() []bk.RunOption {
	opts := []bk.RunOption{bk.AddSecret(netrcPath, bk.SecretID(NetrcSecret), bk.SecretOptional, bk.SecretFileOpt(0, 0, 0o400))}
	opts = append(opts, in.toolEnv()...)
	opts = append(opts, bk.AddEnv("NETRC", netrcPath))
	opts = append(opts, in.sshOpts()...)
	return append(opts, in.step(DownloadStep, "go")...)
}

// sshOpts give the download step the ssh agent and make git fetch the
// private modules over ssh, when go.ssh is set: each go.private pattern's
// fixed prefix (host and path up to the first wildcard) is rewritten from
// https:// to ssh://git@. Host keys are checked against the known_hosts
// secret; there is no trust on first use.
func (in input) sshOpts() []bk.RunOption {
	if !in.File.Go.SSH {
		return nil
	}
	opts := []bk.RunOption{
		bk.AddSSHSocket(bk.SSHID(SSHID)),
		bk.AddSecret(knownHostsPath, bk.SecretID(KnownHostsSecret), bk.SecretOptional),
		bk.AddEnv("GIT_SSH_COMMAND", "ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile="+knownHostsPath+" -o BatchMode=yes"),
	}
	var prefixes []string
	for _, p := range in.File.Go.Private {
		if p := spec.PatternPrefix(p); p != "" {
			prefixes = append(prefixes, p)
		}
	}
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	// git reads GIT_CONFIG_COUNT/KEY_n/VALUE_n as if from a config file.
	opts = append(opts, bk.AddEnv("GIT_CONFIG_COUNT", strconv.Itoa(len(prefixes))))
	for i, p := range prefixes {
		n := strconv.Itoa(i)
		opts = append(opts,
			bk.AddEnv("GIT_CONFIG_KEY_"+n, "url.ssh://git@"+p+"/.insteadOf"),
			bk.AddEnv("GIT_CONFIG_VALUE_"+n, "https://"+p+"/"))
	}
	return opts
}

// offline are the options of the go commands that run after the download:
// no network, and the downloaded modules (see downloaded).
func (in input) offline() []bk.RunOption {
	return append([]bk.RunOption{bk.Network(bk.NetModeNone)}, in.downloaded()...)
}

// downloaded are the options of a go command that uses the downloaded
// modules: mounted read-only, with the go environment and GOPROXY=off, so
// that a module missing from them fails by name instead of by a DNS error.
func (in input) downloaded() []bk.RunOption {
	opts := []bk.RunOption{bk.AddMount(modCache, in.download(), bk.Readonly)}
	opts = append(opts, in.toolEnv()...)
	return append(opts, bk.AddEnv("GOPROXY", "off"))
}
