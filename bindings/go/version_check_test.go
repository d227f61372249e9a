package workloadidentity

import "testing"

// The library the tests link (in-tree) is the package's own version: no error.
func TestLinkedLibraryIsNotOlderThanThePackage(t *testing.T) {
	if libraryError != nil {
		t.Fatal(libraryError)
	}
}

func TestMajorMinor(t *testing.T) {
	for _, c := range []struct {
		version      string
		major, minor int
		ok           bool
	}{
		{"0.1.0", 0, 1, true},
		{"12.34.5-rc.1", 12, 34, true},
		{"1.2", 1, 2, true},
		{"1", 0, 0, false},
		{"", 0, 0, false},
		{"v1.2.3", 0, 0, false},
	} {
		major, minor, ok := majorMinor(c.version)
		if major != c.major || minor != c.minor || ok != c.ok {
			t.Errorf("majorMinor(%q) = %d, %d, %v; want %d, %d, %v", c.version, major, minor, ok, c.major, c.minor, c.ok)
		}
	}
}
