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

#[test]
fn the_readme_configuration_table_is_the_settings_list() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Configuration").expect("the section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let rows: Vec<(String, String)> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_owned(), cells[2].to_owned())
        })
        .collect();
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = tenantry::Settings::FIELDS.iter().map(|s| s.name).collect();
    assert_eq!(
        names, expected,
        "README's table must list Settings::FIELDS, in order"
    );
    for (setting, (_, variable)) in tenantry::Settings::FIELDS.iter().zip(&rows) {
        assert!(
            variable.contains(&format!("`{}`", setting.env)),
            "{}: README says {variable}",
            setting.name
        );
    }
}
