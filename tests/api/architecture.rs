//! The house's walls, read from the sources on disk: no crate's modules
//! import each other in a circle, no crate depends on one it must not know
//! (dependencies point `api → app → persistence → domain`), and the domain
//! neither reads the clock nor touches the database or the runtime.
//!
//! A reading of the text, not of the compiler's name resolution: a module
//! is a file, and an import is a `crate::…` path. That is enough to keep
//! the arrows pointing one way, and it needs no build of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose modules must form no import cycle.
const ACYCLIC_CRATES: [&str; 7] = [
    "crates/domain",
    "crates/persistence",
    "crates/app",
    "crates/formats",
    "crates/web",
    "crates/api",
    "migration",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_modules_of_a_crate_import_each_other_in_a_circle() {
    let mut found = Vec::new();
    for dir in ACYCLIC_CRATES {
        let graph = ModuleGraph::read(&workspace().join(dir));
        for cycle in cycles(&graph.arrows()) {
            found.push(format!(
                "{dir}: {{{}}}\n{}",
                cycle.join(", "),
                graph.evidence_within(&cycle)
            ));
        }
    }
    assert!(
        found.is_empty(),
        "import cycles between modules (draw what they share into a module of its own):\n{}",
        found.join("\n")
    );
}

#[test]
fn crates_depend_only_inwards() {
    let rules: [(&str, &[&str]); 5] = [
        (
            "crates/domain",
            &[
                "sea-orm*",
                "axum*",
                "tokio*",
                "tower*",
                "utoipa*",
                "reqwest",
                "lettre",
                "kartei-*",
                "migration",
            ],
        ),
        (
            "crates/persistence",
            &[
                "kartei-api",
                "kartei-app",
                "kartei-web",
                "axum*",
                "utoipa*",
                "tower*",
            ],
        ),
        (
            "crates/app",
            &["axum*", "tower*", "utoipa*", "kartei-api", "kartei-web"],
        ),
        // Files from plain rows: no HTTP, no data, nothing of kartei.
        (
            "crates/formats",
            &[
                "kartei-*",
                "sea-orm*",
                "axum*",
                "tokio*",
                "tower*",
                "utoipa*",
                "migration",
            ],
        ),
        // The pages reach the data only through the use cases.
        (
            "crates/web",
            &["kartei-api", "kartei-persistence", "sea-orm*", "migration"],
        ),
    ];
    let wrong: Vec<String> = rules
        .into_iter()
        .flat_map(|(dir, forbidden)| wrong_dependencies(dir, forbidden))
        .collect();
    assert!(
        wrong.is_empty(),
        "dependencies pointing the wrong way:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_domain_reads_no_clock_and_knows_no_database_or_runtime() {
    forbidden_in("crates/domain", &["Utc::now", "sea_orm", "tokio::"]);
}

/// Transactions belong to persistence (`unit_of_work`), use cases to app:
/// the HTTP crate neither opens, commits nor holds one, nor a connection to
/// the database (ADR 0016).
#[test]
fn the_http_crate_holds_no_connection_and_opens_no_transaction() {
    forbidden_in(
        "crates/api",
        &[
            "DatabaseConnection",
            "kartei_persistence::db",
            ".begin()",
            ".commit()",
            "DatabaseTransaction",
            "TransactionTrait",
            "unit_of_work",
        ],
    );
}

/// Neither front end opens a transaction or reaches past the use cases.
#[test]
fn the_pages_open_no_transaction() {
    forbidden_in(
        "crates/web",
        &["kartei_persistence", "sea_orm", ".begin()", "unit_of_work"],
    );
}

/// The use cases import no HTTP crate and no sea-orm: they reach the
/// database only through persistence's repositories and units of work, and
/// a front end never hands them a request.
#[test]
fn the_use_cases_import_no_http_and_no_sea_orm() {
    forbidden_in("crates/app", &["sea_orm", "axum", "http::", "utoipa"]);
}

/// A front end holds an `App`, never the database behind it: no public
/// item of the use-case crate takes or returns a connection or a
/// transaction.
#[test]
fn the_use_cases_hand_out_no_connection() {
    let src = workspace().join("crates/app/src");
    let mut found = Vec::new();
    for file in rust_files(&src) {
        let code = code_of(&read(&file), Strings::Keep);
        // A public signature may span lines: up to its opening brace.
        let mut in_public_signature = false;
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("pub ") || trimmed.starts_with("pub(crate) ") {
                in_public_signature = trimmed.starts_with("pub ");
            }
            if in_public_signature
                && ["DatabaseConnection", "Tx", "ConnectionTrait"]
                    .iter()
                    .any(|ty| {
                        line.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|w| w == *ty)
                    })
            {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
            if line.contains('{') || line.contains(';') {
                in_public_signature = false;
            }
        }
    }
    assert!(
        found.is_empty(),
        "public items of crates/app hand out the database:\n{}",
        found.join("\n")
    );
}

/// Fails if any source file of `crate_dir` (relative to the workspace)
/// contains one of `patterns` outside a comment, naming each place.
fn forbidden_in(crate_dir: &str, patterns: &[&str]) {
    let src = workspace().join(crate_dir).join("src");
    let files = rust_files(&src);
    assert!(!files.is_empty(), "no sources under {}", src.display());
    let mut found = Vec::new();
    for file in files {
        let code = code_of(&read(&file), Strings::Keep);
        for (n, line) in code.lines().enumerate() {
            for pattern in patterns.iter().filter(|p| line.contains(*p)) {
                found.push(format!(
                    "{}:{}: {pattern}",
                    file.strip_prefix(workspace()).unwrap_or(&file).display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "{crate_dir} must not use these:\n{}",
        found.join("\n")
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `.rs` files under `dir`, sorted, so reports come in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

// ---------------------------------------------------------------------------
// Dependencies

/// The forbidden entries of a crate's `[dependencies]`; a pattern ending in
/// `*` forbids every crate whose name starts with the rest.
fn wrong_dependencies(crate_dir: &str, forbidden: &[&str]) -> Vec<String> {
    let manifest = workspace().join(crate_dir).join("Cargo.toml");
    normal_dependencies(&read(&manifest))
        .into_iter()
        .filter(|name| {
            forbidden
                .iter()
                .any(|pattern| match pattern.strip_suffix('*') {
                    Some(prefix) => name.starts_with(prefix),
                    None => name == pattern,
                })
        })
        .map(|name| format!("{crate_dir} depends on {name}"))
        .collect()
}

/// The crates a manifest depends on to build (not its dev- or build-
/// dependencies), under their package names. A line-wise reading of the
/// TOML, which is all our manifests need.
fn normal_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_list = false;
    // `[dependencies.foo]`: the table of one dependency.
    let mut table: Option<String> = None;
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            // Target-specific ones (`[target.'cfg(unix)'.dependencies]`) count too.
            in_list = header == "dependencies" || header.ends_with(".dependencies");
            table = header
                .strip_prefix("dependencies.")
                .map(|name| name.trim_matches('"').to_owned());
            names.extend(table.clone());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        if let Some(name) = &table {
            if key == "package" {
                names.remove(name);
                names.insert(value.trim().trim_matches('"').to_owned());
            }
            continue;
        }
        if !in_list || key.starts_with('#') {
            continue;
        }
        let name = key.split('.').next().unwrap_or(key).trim_matches('"');
        names.insert(package_of(value).unwrap_or(name).to_owned());
    }
    names
}

/// The `package = "…"` of an inline table, the real name of a renamed
/// dependency.
fn package_of(value: &str) -> Option<&str> {
    let after = value
        .split_once("package")?
        .1
        .trim_start()
        .strip_prefix('=')?;
    after.trim_start().strip_prefix('"')?.split('"').next()
}

// ---------------------------------------------------------------------------
// Source text

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strings {
    Keep,
    Blank,
}

/// `source` with its comments (and, if asked, the insides of its string
/// literals) blanked out: newlines stay, so line numbers still fit.
fn code_of(source: &str, strings: Strings) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (i == 0 || !ident(chars[i - 1]) || chars[i - 1] == 'b')
            && matches!(next, Some('"' | '#'))
            && chars[i + 1..]
                .iter()
                .find(|&&x| x != '#')
                .is_some_and(|&x| x == '"')
        {
            // A raw string r#"…"#: it ends at a quote followed by as many #.
            let hashes = chars[i + 1..].iter().take_while(|&&x| x == '#').count();
            let open = i + 1 + hashes;
            out.extend(&chars[i..=open]);
            i = open + 1;
            while i < chars.len() {
                let closes = chars[i] == '"'
                    && chars[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&x| x == '#')
                        .count()
                        == hashes;
                if closes {
                    out.extend(&chars[i..=i + hashes]);
                    i += hashes + 1;
                    break;
                }
                out.push(if strings == Strings::Blank {
                    blank(chars[i])
                } else {
                    chars[i]
                });
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let len = if chars[i] == '\\' { 2 } else { 1 };
                for &x in chars.iter().skip(i).take(len) {
                    out.push(if strings == Strings::Blank {
                        blank(x)
                    } else {
                        x
                    });
                }
                i += len;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal such as '"' or '\'', not a lifetime.
            let end = (i + 2..chars.len())
                .find(|&j| chars[j] == '\'' && (next != Some('\\') || j > i + 2))
                .unwrap_or(chars.len() - 1);
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A module of a crate: its path from the crate root, `[]` for the root.
type Module = Vec<String>;

fn display(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// The module a file is, from its path under `src`: `a/b.rs` and
/// `a/b/mod.rs` are `a::b`; `lib.rs` (or `main.rs` of a binary-only crate)
/// is the root.
fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] || parts == ["main"] {
        parts.pop();
    }
    parts
}

/// Tokens of a use tree: identifiers and the punctuation between them.
fn tokens(code: &str) -> impl Iterator<Item = String> + '_ {
    let mut chars = code.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let (start, c) = chars.next()?;
        if c.is_alphanumeric() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some((i, c)) = chars.next_if(|(_, c)| c.is_alphanumeric() || *c == '_') {
                end = i + c.len_utf8();
            }
            return Some(code[start..end].to_owned());
        }
        if c == ':' && chars.next_if(|(_, c)| *c == ':').is_some() {
            return Some("::".to_owned());
        }
        Some(c.to_string())
    })
}

/// The paths a use tree names, read from its first token: `a::b` gives one,
/// `a::{b, c::{self, d}}` gives `a::b`, `a::c` and `a::c::d`. An inline path
/// (`a::b::f(x)`) ends where the path does.
fn use_tree(tokens: &mut std::iter::Peekable<impl Iterator<Item = String>>) -> Vec<Vec<String>> {
    fn tree(
        prefix: Vec<String>,
        tokens: &mut std::iter::Peekable<impl Iterator<Item = String>>,
    ) -> Vec<Vec<String>> {
        match tokens.peek().map(String::as_str) {
            Some("{") => {
                tokens.next();
                let mut paths = Vec::new();
                loop {
                    match tokens.peek().map(String::as_str) {
                        None => break,
                        Some("}") => {
                            tokens.next();
                            break;
                        }
                        Some(",") => {
                            tokens.next();
                        }
                        Some(_) => paths.extend(tree(prefix.clone(), tokens)),
                    }
                }
                paths
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                let name = tokens.next().unwrap_or_default();
                let mut path = prefix;
                if name != "self" {
                    path.push(name);
                }
                if tokens.next_if(|t| t == "::").is_some() {
                    return tree(path, tokens);
                }
                if tokens.next_if(|t| t == "as").is_some() {
                    tokens.next();
                }
                vec![path]
            }
            // `*`, or the end of an inline path (`::<T>`, `(`, …).
            _ => {
                tokens.next_if(|t| t == "*");
                vec![prefix]
            }
        }
    }
    tree(Vec::new(), tokens)
}

/// Every path after a `crate::` in `code` (not `$crate::`, which a macro
/// expands where it is used), with the line it is on.
fn crate_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let mut tokens = tokens(&code[at + "crate::".len()..]).peekable();
        paths.extend(use_tree(&mut tokens).into_iter().map(|p| (line, p)));
    }
    paths
}

/// The names the crate root re-exports from its own modules
/// (`pub use error::RepoError;`), so that `crate::RepoError` counts as an
/// import of `error`, not of the root.
fn root_reexports(root_code: &str, modules: &BTreeSet<Module>) -> BTreeMap<String, Module> {
    let mut names = BTreeMap::new();
    let mut tokens = tokens(root_code).peekable();
    while let Some(token) = tokens.next() {
        if token != "use" {
            continue;
        }
        for mut path in use_tree(&mut tokens) {
            if path.first().is_some_and(|p| p == "crate" || p == "self") {
                path.remove(0);
            }
            let module = longest_module(&path, modules);
            if let Some(name) = path.last().filter(|_| !module.is_empty()) {
                names.insert(name.clone(), module);
            }
        }
    }
    names
}

/// The deepest module that `path` (from the crate root) lies in.
fn longest_module(path: &[String], modules: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

/// Whether `a` lies within `b` or `b` within `a`: a module and the modules
/// declared inside it are one part of the crate, so reaching into one's own
/// children (`routes/mod.rs` naming `routes::members`) or up to one's
/// parent is no import between parts.
fn nested(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The `crate::` imports between the modules of one crate, with the places
/// they are written.
struct ModuleGraph {
    /// importer → imported → "file:line" of each import.
    imports: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl ModuleGraph {
    fn read(crate_dir: &Path) -> ModuleGraph {
        let src = crate_dir.join("src");
        let mut files = rust_files(&src);
        // With a library, main.rs and src/bin are other crates: they use
        // the library by its name, not through `crate::`.
        if src.join("lib.rs").exists() {
            files.retain(|f| f != &src.join("main.rs") && !f.starts_with(src.join("bin")));
        }
        assert!(
            !files.is_empty(),
            "no sources under {} (a wrong entry in the list?)",
            src.display()
        );
        let sources: Vec<(Module, String, String)> = files
            .iter()
            .map(|file| {
                let relative = file.strip_prefix(&src).unwrap_or(file);
                let name = file.strip_prefix(workspace()).unwrap_or(file);
                (
                    module_of(relative),
                    name.display().to_string(),
                    code_of(&read(file), Strings::Blank),
                )
            })
            .collect();
        let modules: BTreeSet<Module> = sources.iter().map(|(m, _, _)| m.clone()).collect();
        let reexported = sources
            .iter()
            .find(|(m, _, _)| m.is_empty())
            .map(|(_, _, code)| root_reexports(code, &modules))
            .unwrap_or_default();
        let mut imports: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for (module, name, code) in &sources {
            let node = imports.entry(display(module)).or_default();
            for (line, path) in crate_paths(code) {
                let mut target = longest_module(&path, &modules);
                if target.is_empty()
                    && let Some(found) = path.first().and_then(|p| reexported.get(p))
                {
                    target = found.clone();
                }
                if !nested(module, &target) {
                    let places = node.entry(display(&target)).or_default();
                    let place = format!("{name}:{line}");
                    // Several names of one import line are one place.
                    if places.last() != Some(&place) {
                        places.push(place);
                    }
                }
            }
        }
        ModuleGraph { imports }
    }

    fn arrows(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.imports
            .iter()
            .map(|(from, to)| (from.clone(), to.keys().cloned().collect()))
            .collect()
    }

    /// The imports between the modules of `cycle`, one line each.
    fn evidence_within(&self, cycle: &[String]) -> String {
        let mut lines = Vec::new();
        for from in cycle {
            for (to, places) in self.imports.get(from).into_iter().flatten() {
                if cycle.contains(to) {
                    lines.push(format!("  {from} -> {to} ({})", places.join(", ")));
                }
            }
        }
        lines.join("\n")
    }
}

/// The strongly connected components of `graph` with more than one node,
/// each sorted (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    #[derive(Default)]
    struct Tarjan<'g> {
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }

    impl<'g> Tarjan<'g> {
        fn visit(&mut self, graph: &'g BTreeMap<String, BTreeSet<String>>, node: &'g str) {
            let index = self.index.len();
            self.index.insert(node, index);
            self.low.insert(node, index);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(graph, next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }

    let mut tarjan = Tarjan::default();
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(graph, node);
        }
    }
    tarjan.found.sort();
    tarjan.found
}

// ---------------------------------------------------------------------------
// The checker's own tests

fn graph(arrows: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in arrows {
        graph.entry((*to).to_owned()).or_default();
        graph
            .entry((*from).to_owned())
            .or_default()
            .insert((*to).to_owned());
    }
    graph
}

#[test]
fn the_cycle_finder_finds_every_circle_and_nothing_else() {
    let tangled = graph(&[
        ("applications", "rollup"),
        ("rollup", "reports"),
        ("reports", "applications"),
        ("reports", "sql"),
        ("members", "applications"),
        ("a", "b"),
        ("b", "a"),
    ]);
    assert_eq!(
        cycles(&tangled),
        [vec!["a", "b"], vec!["applications", "reports", "rollup"],]
    );
    let layered = graph(&[
        ("applications", "rollup"),
        ("members", "rollup"),
        ("members", "applications"),
        ("rollup", "lag_sql"),
        ("reports", "lag_sql"),
        ("lag_sql", "sql"),
    ]);
    assert_eq!(cycles(&layered), Vec::<Vec<String>>::new());
}

#[test]
fn crate_paths_are_read_from_code_not_from_comments_or_strings() {
    let source = r#"
        //! Uses `crate::in_a_doc_comment`.
        use crate::{Page, RepoError, rollup};
        use crate::entities::member::{self, Entity as Members};
        use crate::a::{b::{c, d as e}, *};
        /* crate::in_a /* nested */ block */
        fn f() -> String {
            let _ = '"';
            crate::rollup::rebuild(db);
            $crate::expanded_elsewhere();
            format!("crate::in_a_string")
        }
        pub(crate) fn g() {}
    "#;
    let paths: Vec<(usize, String)> = crate_paths(&code_of(source, Strings::Blank))
        .into_iter()
        .map(|(line, p)| (line, p.join("::")))
        .collect();
    let expected = [
        (3, "Page"),
        (3, "RepoError"),
        (3, "rollup"),
        (4, "entities::member"),
        (4, "entities::member::Entity"),
        (5, "a::b::c"),
        (5, "a::b::d"),
        (5, "a"),
        (9, "rollup::rebuild"),
    ];
    assert_eq!(
        paths,
        expected.map(|(line, p)| (line, p.to_owned())).to_vec()
    );
}

#[test]
fn files_are_modules_and_manifests_list_their_dependencies() {
    let module = |p: &str| display(&module_of(Path::new(p)));
    assert_eq!(module("lib.rs"), "crate");
    assert_eq!(module("reports.rs"), "reports");
    assert_eq!(module("routes/mod.rs"), "routes");
    assert_eq!(module("routes/reports/chart.rs"), "routes::reports::chart");

    let manifest = r#"
        [package]
        name = "x"

        [dependencies]
        kartei-domain.workspace = true
        sea-orm = { workspace = true }
        web = { package = "axum", version = "0.8" }

        [target.'cfg(unix)'.dependencies]
        libc = "0.2"

        [dependencies.tokio]
        workspace = true

        [dev-dependencies]
        reqwest.workspace = true
    "#;
    assert_eq!(
        normal_dependencies(manifest),
        ["axum", "kartei-domain", "libc", "sea-orm", "tokio"]
            .map(str::to_owned)
            .into()
    );
}
