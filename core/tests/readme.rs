//! The project README shows the crate's quick start (core/README.md, a doctest) verbatim.

#[test]
fn the_project_readme_shows_the_crate_quick_start() {
    let crate_readme = include_str!("../README.md");
    let project_readme = include_str!("../../README.md");
    let start = crate_readme.find("```rust\n").expect("a Rust block");
    let end = start + crate_readme[start..].find("\n```\n").expect("its end") + 5;
    assert!(
        project_readme.contains(&crate_readme[start..end]),
        "README.md must show core/README.md's quick start verbatim"
    );
}
