//go:build !wi_intree && !wi_system && !wi_static

package workloadidentity

// How cgo links the native library, by build tags (one file per pkg-config
// mode: Go's build cache keys on the files and flags of a package, not on the
// packages a `#cgo pkg-config:` line names, so a mode switch must change the
// file set). The header, workload_identity.h, sits in this directory (a copy
// of the repository's include/, kept identical by scripts/check-header.sh),
// so the module builds from its own directory, as it sits in the module cache.
//
//	(default)                  an installed library, through pkg-config (this file):
//	                           workload-identity.pc gives -L, -l and an rpath to its lib/;
//	                           PKG_CONFIG_PATH selects the prefix
//	-tags wi_static            the same prefix's static library (link_pkgconfig_static.go)
//	-tags wi_system            no pkg-config: -lworkload_identity from the linker's own
//	                           directories, LIBRARY_PATH or CGO_LDFLAGS (link_flags.go)
//	-tags wi_system,wi_static  the same, static
//	-tags wi_intree            this repository's target/release, with an rpath to it
//	                           (its own tests); with wi_static, its .a
//
// cgo cannot fall back from pkg-config by itself: a `#cgo pkg-config:` line
// fails the build when pkg-config or the .pc file is missing, hence wi_system.

// #cgo pkg-config: workload-identity
import "C"
