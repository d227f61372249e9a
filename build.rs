//! Generates include/workload_identity.h with cbindgen, rewriting it only when
//! its content changes (the header is committed; CI fails if it is stale).

use std::path::PathBuf;

/// Version of the C API contract; bumped only on an incompatible change.
const C_ABI_VERSION: u32 = 1;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=Cargo.toml");
    // The SONAME carries the C ABI version (shared/C_API.md, version 1), which
    // changes only when a function changes meaning, not with every release.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libworkload_identity.so.{C_ABI_VERSION}");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let version = |name: &str| std::env::var(name).expect("cargo sets the version");
    config.after_includes = Some(format!(
        "\n/** Version of this header; wi_version() returns the library's. */\n\
         #define WI_VERSION_MAJOR {}\n#define WI_VERSION_MINOR {}\n#define WI_VERSION_PATCH {}\n\
         #define WI_VERSION_STRING \"{}\"\n",
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
        version("CARGO_PKG_VERSION"),
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let path = crate_dir.join("include").join("workload_identity.h");
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("include/ is writable");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    if std::fs::read(&path).ok().as_deref() != Some(generated.as_slice()) {
        std::fs::write(&path, generated).expect("the header is writable");
    }
}
