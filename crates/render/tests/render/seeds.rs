//! The XSS corpus as seeds of the two markdown fuzz targets: written under
//! `$HOOKPIT_FUZZ_SEEDS/<target>/` by `fuzz/seeds.sh`, else checked against `fuzz/seeds/`.

use crate::xss::PAYLOADS;

#[test]
fn the_fuzz_seeds_are_the_xss_payloads() {
    for target in ["render_markdown", "render_markdown_v2"] {
        for (index, payload) in PAYLOADS.iter().enumerate() {
            let name = format!("xss_{index:02}");
            if let Some(root) = std::env::var_os("HOOKPIT_FUZZ_SEEDS") {
                let folder = std::path::Path::new(&root).join(target);
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(folder.join(&name), payload).unwrap();
                continue;
            }
            let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/seeds")
                .join(target)
                .join(&name);
            let found = std::fs::read(&committed).unwrap_or_default();
            assert!(
                found == payload.as_bytes(),
                "{} is missing or out of date: run fuzz/seeds.sh and commit fuzz/seeds",
                committed.display()
            );
        }
    }
}
