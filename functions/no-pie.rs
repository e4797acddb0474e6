//! The functions' build script (each function's `Cargo.toml` names this file): links the
//! function's binary as a position-dependent executable (`-no-pie`).
//!
//! A position-independent executable is loaded at a random address, so before `main` the dynamic
//! loader patches every pointer in its read-only data: ~58,000 relative relocations in a
//! function, over 1.5 MB of `.data.rel.ro`, each 4 KiB page copied on write. `perf record` of
//! cold starts put a third of a function's start in `_dl_relocate_object`. Linked at a fixed
//! address, those pointers are final in the file and their pages are only read when used
//! (BENCHMARKS.md, "Cold start ([7/7])"). The cost: the binary itself loses address-space
//! randomisation (its libraries, stack and heap keep theirs).
//!
//! Only the package's binaries: tests, build scripts and proc-macros link as before.

// A build script speaks to cargo on stdout.
#![allow(clippy::print_stdout)]

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=../no-pie.rs");
}
