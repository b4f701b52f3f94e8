package spec

// Context is a build context as the load reads it: its files and its
// symbolic links. The frontend reads it through BuildKit, the gobuild
// command from disk.
type Context interface {
	ContextFiles
	Links
}

// Project is a gobuild.yaml loaded against its build context: what a build,
// --call check and the gobuild command know before they build anything.
type Project struct {
	File     *File             // as parsed, with its positions (nil when it does not parse)
	Env      map[string]string // the go environment: go.env and the build args that override it (File.GoEnv)
	Module   ModuleInfo        // go.mod, go.work and vendor/ of the module
	Resolved *File             // with every default filled in (nil until the load succeeds)
}

// Load is the one load path: it parses data (the file the user named
// filename), reads the module from the build context (go.dir), checks that
// no path of the file leaves the context through a link, resolves the
// file's defaults against the module, and finds each build's PGO profile
// (Build.Profile). args are the build args.
//
// Every error names filename, and its line and field where it has one.
// The project is returned as far as it got even when the load fails, so
// that --call check can lint a file whose module does not read.
func Load(filename string, data []byte, ctx Context, args map[string]string) (*Project, error) {
	p := &Project{}
	f, err := Parse(filename, data)
	if err != nil {
		return p, err
	}
	p.File = f
	p.Env = f.GoEnv(args)
	if p.Module, err = ReadModule(ctx, ModuleDir(f.Go.Dir), p.Env); err != nil {
		return p, FieldError(filename, f, "go.dir", err)
	}
	if err := f.CheckLinks(filename, ctx); err != nil {
		return p, err
	}
	r, err := f.Resolve(filename, p.Module.Module)
	if err != nil {
		return p, err
	}
	if err := r.resolveProfiles(filename, f, ctx); err != nil {
		return p, err
	}
	p.Resolved = r
	return p, nil
}
