//! Records the git commit the binary is built from, for `--version`, and its date, for the man
//! page. Outside a git checkout (a release tarball) DOCKER_IPV6_PD_COMMIT and
//! DOCKER_IPV6_PD_DATE may name them; otherwise they say "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=DOCKER_IPV6_PD_COMMIT");
    let commit = std::env::var("DOCKER_IPV6_PD_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DOCKER_IPV6_PD_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=DOCKER_IPV6_PD_DATE");
    let date = std::env::var("DOCKER_IPV6_PD_DATE")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%cs"]))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DOCKER_IPV6_PD_DATE={date}");
    // Rebuild when HEAD moves: HEAD itself, the branch it points at, packed refs.
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={p}");
    }
}
