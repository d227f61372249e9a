package workloadidentity_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run against the library CI means: $WI_LIBRARY_PATH, else this
// repository's target/release build. cgo links at build time, so a library
// elsewhere needs CGO_LDFLAGS (see README.md); this test catches a mismatch.
func TestLinkedLibraryIsTheIntendedOne(t *testing.T) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("cannot tell which library is loaded: %v", err)
	}
	var loaded string
	for _, line := range strings.Split(string(maps), "\n") {
		if i := strings.Index(line, "/"); i >= 0 && strings.Contains(line[i:], "libworkload_identity.so") {
			loaded = line[i:]
			break
		}
	}
	if loaded == "" {
		t.Skip("no shared libworkload_identity loaded (static build)")
	}
	want := os.Getenv("WI_LIBRARY_PATH")
	if want == "" {
		want = filepath.Join("..", "..", "target", "release", "libworkload_identity.so")
	}
	want, err = filepath.Abs(want)
	if err != nil {
		t.Fatal(err)
	}
	wantReal, err := filepath.EvalSymlinks(want)
	if err != nil {
		t.Fatalf("intended library: %v", err)
	}
	loadedReal, err := filepath.EvalSymlinks(loaded)
	if err != nil {
		t.Fatalf("loaded library: %v", err)
	}
	if loadedReal != wantReal {
		t.Fatalf("loaded %s, but the intended library is %s: build with\n"+
			"  CGO_LDFLAGS=\"-L$(dirname $WI_LIBRARY_PATH) -Wl,-rpath,$(dirname $WI_LIBRARY_PATH)\"", loadedReal, wantReal)
	}
}
