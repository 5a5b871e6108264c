// Command modzip writes a file-based Go module proxy (GOPROXY=file://DIR) that serves one
// version of the module rooted at -root: DIR/<module>/@v/{list,VERSION.info,VERSION.mod,
// VERSION.zip}. The zip holds what `git ls-files --cached --others --exclude-standard`
// lists (the working tree as a commit of it would be, without target/), made by
// golang.org/x/mod/zip with the module proxy's own rules (nested modules, vendor/ and files
// that may not be in a module are left out, size limits checked).
// Used by tools/package/go_outside.sh.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// file is one repository file for zip.Create.
type file struct{ root, rel string }

func (f file) Path() string                 { return f.rel }
func (f file) Lstat() (os.FileInfo, error)  { return os.Lstat(filepath.Join(f.root, f.rel)) }
func (f file) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.rel)) }

func main() {
	root := flag.String("root", ".", "the module's root directory (a git work tree)")
	out := flag.String("out", "", "the proxy directory to write")
	version := flag.String("version", "v0.1.0", "the version to serve")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("modzip: ")
	if *out == "" {
		log.Fatal("-out is required")
	}

	gomod, err := os.ReadFile(filepath.Join(*root, "go.mod"))
	if err != nil {
		log.Fatal(err)
	}
	path := modfile.ModulePath(gomod)
	if path == "" {
		log.Fatal("go.mod has no module line")
	}
	mv := module.Version{Path: path, Version: *version}

	cmd := exec.Command("git", "-C", *root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Stderr = os.Stderr
	list, err := cmd.Output()
	if err != nil {
		log.Fatalf("git ls-files: %v", err)
	}
	var files []zip.File
	for _, rel := range strings.Split(string(list), "\x00") {
		if rel == "" {
			continue
		}
		if _, err := os.Lstat(filepath.Join(*root, rel)); err != nil {
			continue // deleted in the work tree, not yet in the index
		}
		files = append(files, file{*root, filepath.ToSlash(rel)})
	}

	escaped, err := module.EscapePath(path)
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(*out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := zip.Create(&zbuf, mv, files); err != nil {
		log.Fatalf("module zip: %v", err)
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{*version, time.Now().UTC().Truncate(time.Second)})
	for name, data := range map[string][]byte{
		*version + ".zip":  zbuf.Bytes(),
		*version + ".mod":  gomod,
		*version + ".info": info,
		"list":             []byte(*version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("modzip: %s@%s, %d files considered, %d bytes zipped\n", path, *version, len(files), zbuf.Len())
}
