//! Records the git commit of the build (`HOOKPIT_GIT_COMMIT`), for `/metrics` and `--version`.
//!
//! Only the commit, not whether the tree had changes: knowing that would mean re-running on every
//! change of `.git/index` (each `git add`, even a `git status`), and with it rebuilding this crate
//! and all that depends on it.

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=HOOKPIT_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: a checkout changes `.git/HEAD`, a commit the branch it names.
    let git_dir = git(&["rev-parse", "--git-dir"]).map(|dir| Path::new(&dir).to_owned());
    // In a linked worktree (`git worktree add`) HEAD is in its own git directory but the
    // branches are in the main repository's (the common directory).
    let common_dir = git(&["rev-parse", "--git-common-dir"]).map(|dir| Path::new(&dir).to_owned());
    if let (Some(git_dir), Some(common_dir)) = (git_dir, common_dir) {
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        // A branch whose ref is packed lives in `packed-refs` (a missing file would mean
        // "re-run every time").
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let loose = common_dir.join(branch);
            let packed = common_dir.join("packed-refs");
            for path in [loose, packed].iter().filter(|path| path.exists()) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// The trimmed output of `git ARGS`, `None` when git is missing, fails or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}
