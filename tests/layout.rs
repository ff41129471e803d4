//! The source tree reads as the pipeline (environment -> event -> plan -> effects), and no
//! module imports one above it: each layer may use only the layers listed below it here.

use std::fs;
use std::path::Path;

/// Each layer (a directory or a file of src/) and the modules it may use, lowest first.
const LAYERS: [(&str, &[&str]); 9] = [
    ("error.rs", &[]),
    ("log.rs", &[]),
    ("subnet.rs", &[]),
    ("bounded_read.rs", &[]),
    ("settings.rs", &[]),
    ("event", &["error", "settings", "subnet"]),
    ("plan", &["error", "log", "settings", "subnet", "event"]),
    (
        "apply",
        &[
            "error",
            "log",
            "settings",
            "subnet",
            "bounded_read",
            "event",
            "plan",
        ],
    ),
    (
        "inspect",
        &[
            "error",
            "log",
            "settings",
            "subnet",
            "bounded_read",
            "event",
            "plan",
            "apply",
        ],
    ),
];

/// The `crate::NAME` modules a file's code (not its comments) refers to.
fn crate_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for part in line.split("crate::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found
}

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offences = Vec::new();
    for (layer, allowed) in LAYERS {
        let own = layer.trim_end_matches(".rs");
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no source for layer {layer}");
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            for module in crate_modules(&text) {
                if module != own && !allowed.contains(&module.as_str()) {
                    offences.push(format!("{} uses crate::{module}", file.display()));
                }
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn the_scan_sees_imports_and_skips_comments() {
    let text =
        "//! see crate::apply\nuse crate::plan::effect::Effect;\nlet x = crate::log::info;\n";
    assert_eq!(crate_modules(text), ["plan", "log"]);
}
