//! The XSS corpus written out as seeds of the two markdown fuzz targets.

use crate::xss::PAYLOADS;

/// Writes every payload as a seed of `render_markdown` and `render_markdown_v2` under
/// `$HOOKPIT_FUZZ_SEEDS/<target>/`. Run by `fuzz/seeds.sh`.
#[test]
#[ignore = "writes files: run by fuzz/seeds.sh"]
fn the_xss_payloads_are_written_out_as_fuzz_seeds() {
    let root = std::path::PathBuf::from(
        std::env::var_os("HOOKPIT_FUZZ_SEEDS").expect("HOOKPIT_FUZZ_SEEDS names the seeds folder"),
    );
    for target in ["render_markdown", "render_markdown_v2"] {
        let folder = root.join(target);
        std::fs::create_dir_all(&folder).unwrap();
        for (index, payload) in PAYLOADS.iter().enumerate() {
            std::fs::write(folder.join(format!("xss_{index:02}")), payload).unwrap();
        }
    }
}
