//! Embeds Marathon 1.4.10's app schema, read where it lies
//! (`../shared/marathon/1.4.10/v2/schema/AppDefinition.json`, or the file
//! `PANTERAS_MARATHON_SCHEMA` names), so that `panteras app check` checks
//! plans against it. Built without it, the check says so and
//! `--schema FILE` gives it at run time.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=PANTERAS_MARATHON_SCHEMA");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let schema = std::env::var_os("PANTERAS_MARATHON_SCHEMA").map_or_else(
        || manifest.join("../shared/marathon/1.4.10/v2/schema/AppDefinition.json"),
        PathBuf::from,
    );
    println!("cargo:rerun-if-changed={}", schema.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let code = match schema.canonicalize() {
        Ok(path) if path.is_file() => format!(
            "/// Marathon 1.4.10's app schema, embedded at build time.\n\
             pub const SCHEMA: Option<&str> = Some(include_str!({:?}));\n",
            path.display().to_string()
        ),
        _ => {
            println!(
                "cargo:warning=no Marathon schema at {}: `panteras app check` will need --schema",
                schema.display()
            );
            "/// Marathon's app schema: not found at build time.\n\
             pub const SCHEMA: Option<&str> = None;\n"
                .to_string()
        }
    };
    std::fs::write(out.join("marathon_schema.rs"), code).expect("OUT_DIR is writable");
}
