//! The library's module graph, read from the source: top-level modules
//! import each other without a cycle, and the layers point one way
//! (capture → wire → decode → ikesa → diagnose; token ← secret ← audit).
//! Test code (`#[cfg(test)] mod tests` blocks and `tests.rs` files) is left
//! out: a test may build its input with any module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without comments and without its test module.
fn product_code(text: &str) -> String {
    let mut code = String::new();
    let mut cfg_test = false;
    for line in text.lines() {
        let t = line.trim_start();
        if cfg_test && t.starts_with("mod ") {
            // A test module: everything from here on is test code (the
            // convention of this crate: tests come last).
            break;
        }
        cfg_test = t.starts_with("#[cfg(test)]");
        if t.starts_with("//") || cfg_test {
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Top-level module → the top-level modules its product code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(top.as_str(), "lib" | "main" | "cli") || rel.ends_with("tests.rs") {
            continue;
        }
        let code = product_code(&std::fs::read_to_string(&f).unwrap());
        let deps = g.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    g
}

/// A cycle through `start`, if any (depth-first search).
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        g: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in g.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(g, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    walk(g, start, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    assert!(g.len() >= 10, "too few modules found: {g:?}");
    let cycles: Vec<String> = g
        .keys()
        .filter_map(|m| cycle_from(&g, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn layers_point_one_way() {
    let g = graph();
    // (module, modules it must not import)
    let rules: &[(&str, &[&str])] = &[
        (
            "wire",
            &[
                "capture", "decode", "ikesa", "diagnose", "token", "secret", "audit",
            ],
        ),
        (
            "capture",
            &["decode", "ikesa", "diagnose", "token", "secret", "audit"],
        ),
        ("decode", &["diagnose", "audit"]),
        ("ikesa", &["diagnose", "audit"]),
        (
            "token",
            &["secret", "audit", "capture", "decode", "diagnose"],
        ),
        ("secret", &["audit", "capture", "decode", "diagnose"]),
        ("secretmem", &["secret", "token"]),
        ("fsio", &["secret", "token"]),
    ];
    let mut broken = Vec::new();
    for (m, forbidden) in rules {
        let deps = g.get(*m).unwrap_or_else(|| panic!("no module {m}"));
        for f in *forbidden {
            if deps.contains(*f) {
                broken.push(format!("{m} imports {f}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken: {broken:?}");
}

/// The checker itself finds a cycle and a layer break when there is one.
#[test]
fn the_checker_sees_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle_from(&g, "a").unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert!(cycle_from(&g, "a").is_none());
    assert_eq!(
        product_code(
            "use crate::x;\n// crate::y\n#[cfg(test)]\nfield: u8,\n#[cfg(test)]\nmod tests { use crate::z; }\n"
        ),
        "use crate::x;\nfield: u8,\n"
    );
}

/// Protocol numbers exist once, in `wire`: no product code elsewhere names a
/// registry constant of its own (`const QCD_TOKEN: u16 = 16419`) or builds a
/// registry type from a literal (`NotifyType(16419)`).
#[test]
fn protocol_numbers_only_in_wire() {
    let src = root();
    let registry = std::fs::read_to_string(src.join("wire/registry.rs")).unwrap();
    let names: BTreeSet<String> = registry
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    assert!(names.contains("QCD_TOKEN") && names.contains("IKE_AUTH"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.starts_with("wire") || rel.ends_with("tests.rs") {
            continue;
        }
        let code = product_code(&std::fs::read_to_string(&f).unwrap());
        for line in code.lines() {
            let t = line.trim_start();
            let own_const = t
                .split_once("const ")
                .and_then(|(_, rest)| rest.split(':').next())
                .is_some_and(|n| names.contains(n.trim()));
            let literal = [
                "NotifyType(",
                "ExchangeType(",
                "PayloadType(",
                "ProtocolId(",
            ]
            .iter()
            .any(|ty| {
                t.match_indices(ty)
                    .any(|(i, _)| t[i + ty.len()..].starts_with(|c: char| c.is_ascii_digit()))
            });
            if own_const || literal {
                found.push(format!("{}: {t}", rel.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "protocol numbers outside src/wire (use the wire constants):\n{}",
        found.join("\n")
    );
}
