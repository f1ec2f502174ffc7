//! Holds the layering: `src/tui` and `src/domain` do no I/O of their own. The TUI talks to the
//! workers only through messages: it may not name the layers that do the work (`service`,
//! `store`, `flink`, `backend`, `cli`, the SQL helpers), the network and database crates, the
//! file system, the environment, sockets, processes, or spawn tasks and threads. The domain is
//! held to the same, and may not name the TUI, tokio or the terminal crates either.
//!
//! The sources are parsed with `syn`, and every `use` tree, every path (in expressions, types,
//! patterns, attributes) and every path-like token sequence inside macro bodies is resolved to an
//! absolute path (`self::`/`super::` against the file's module, `use` renames and globs followed,
//! `::std` and `crate::` as written) before it is compared with the forbidden prefixes. Comments
//! and string literals are never looked at. The self-tests at the end run the same checker on
//! small snippets, so the checker itself is proven.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// What one layer may not name: absolute path prefixes (`crate::service`, `std::fs`, `reqwest`)
/// and identifiers that are forbidden wherever they occur (as a path segment or a method name).
struct Rule {
    layer: &'static str,
    forbidden: &'static [&'static [&'static str]],
    forbidden_idents: &'static [&'static str],
    /// Modules of which only the listed items may be named (`crate::config` also loads files and
    /// reads the environment; its parsing helpers are pure).
    only: &'static [(&'static str, &'static [&'static str])],
}

/// The work layers, the network and database crates, the file system, the environment, sockets,
/// processes, and everything that starts tasks or threads.
const NO_IO: &[&str] = &[
    "crate::service",
    "crate::store",
    "crate::flink",
    "crate::backend",
    "crate::cli",
    "crate::sqlrunner",
    "crate::sqltools",
    "reqwest",
    "kube",
    "k8s_openapi",
    "rusqlite",
    "hyper",
    "std::env",
    "std::fs",
    "std::net",
    "std::process",
    "std::thread",
    // `std::os::unix::{fs, net, process}` and the like.
    "std::os",
    "tokio::fs",
    "tokio::net",
    "tokio::process",
    "tokio::spawn",
    "tokio::task",
    // `Handle::current().spawn(..)`, `Runtime::new()`.
    "tokio::runtime",
];

/// The pure parts of `crate::config`: the TOML document with positions and its error helpers.
const CONFIG_PARSING: (&str, &[&str]) = (
    "crate::config",
    &[
        "ConfigError",
        "Seg",
        "TomlDoc",
        "describe",
        "expected_list",
        "is_name",
        "key_path",
    ],
);

const TUI: Rule = Rule {
    layer: "tui",
    forbidden: &[NO_IO],
    forbidden_idents: &["spawn_blocking"],
    only: &[CONFIG_PARSING],
};

const DOMAIN: Rule = Rule {
    layer: "domain",
    forbidden: &[NO_IO, &["crate::tui", "tokio", "ratatui", "crossterm"]],
    forbidden_idents: &["spawn_blocking"],
    only: &[CONFIG_PARSING],
};

// ---------------------------------------------------------------------------------------------
// The checker

/// A path as written: `::`-leading or not, and its segments (`self`, `super`, `crate` included).
#[derive(Clone, Debug)]
struct Written {
    /// The module the path was written in (`["crate", "tui", "jobs"]`).
    module: Vec<String>,
    leading_colon: bool,
    segs: Vec<String>,
}

/// A name in a module: `(["crate", "tui", "jobs"], "fmt")`.
type NameIn = (Vec<String>, String);

/// The names each module of one file brings in with `use` (and `extern crate`), and the modules
/// it glob-imports, as written; resolved lazily so their order in the file does not matter.
#[derive(Default)]
struct Scopes {
    names: HashMap<Vec<String>, HashMap<String, Written>>,
    globs: HashMap<Vec<String>, Vec<Written>>,
    /// First segments that name an extern crate (`std`, `tokio`...); any other first segment is
    /// relative to the module it is written in.
    externs: HashSet<String>,
    /// What a name in a module resolved to, and the lookups under way (a `use` cycle such as
    /// `use Foo::*` in the module that is searched for `Foo` ends there).
    memo: RefCell<HashMap<NameIn, Option<Vec<String>>>>,
    active: RefCell<HashSet<NameIn>>,
}

impl Scopes {
    /// The absolute path (`crate::...` or `extern_crate::...`) a written path names.
    fn resolve(&self, module: &[String], leading_colon: bool, segs: &[String]) -> Vec<String> {
        if leading_colon || segs.is_empty() {
            return segs.to_vec();
        }
        let join = |base: &[String], rest: &[String]| -> Vec<String> {
            base.iter().chain(rest).cloned().collect()
        };
        match segs[0].as_str() {
            "crate" | "$crate" => join(&["crate".to_string()], &segs[1..]),
            "self" | "super" => {
                let mut m = module.to_vec();
                let mut i = usize::from(segs[0] == "self");
                while i < segs.len() && segs[i] == "super" {
                    if m.len() > 1 {
                        m.pop();
                    }
                    i += 1;
                }
                join(&m, &segs[i..])
            }
            first => {
                if let Some(target) = self.lookup(module, first) {
                    join(&target, &segs[1..])
                } else if self.externs.contains(first) {
                    segs.to_vec()
                } else {
                    join(module, segs)
                }
            }
        }
    }

    /// What `name` stands for in `module`: a `use` of it there, or in a module it glob-imports.
    fn lookup(&self, module: &[String], name: &str) -> Option<Vec<String>> {
        let key = (module.to_vec(), name.to_string());
        if let Some(done) = self.memo.borrow().get(&key) {
            return done.clone();
        }
        if !self.active.borrow_mut().insert(key.clone()) {
            return None;
        }
        let found = self.lookup_uncached(module, name);
        self.active.borrow_mut().remove(&key);
        self.memo.borrow_mut().insert(key, found.clone());
        found
    }

    fn lookup_uncached(&self, module: &[String], name: &str) -> Option<Vec<String>> {
        if let Some(w) = self.names.get(module).and_then(|m| m.get(name)) {
            // `use tokio;` names the crate, not itself.
            if w.segs.len() == 1 && w.segs[0] == name && !w.leading_colon {
                return self.externs.contains(name).then(|| w.segs.clone());
            }
            return Some(self.resolve(&w.module, w.leading_colon, &w.segs));
        }
        for g in self.globs.get(module).into_iter().flatten() {
            let source = self.resolve(&g.module, g.leading_colon, &g.segs);
            if source != module {
                if let Some(t) = self.lookup(&source, name) {
                    return Some(t);
                }
            }
        }
        None
    }
}

/// One leaf of a `use` tree.
struct UseLeaf {
    segs: Vec<String>,
    /// The name it brings into scope (`None` for `as _` and globs).
    name: Option<String>,
    glob: bool,
    span: Span,
}

fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let (segs, name) = if n.ident == "self" {
                (prefix.clone(), prefix.last().cloned())
            } else {
                let mut s = prefix.clone();
                s.push(n.ident.to_string());
                (s, Some(n.ident.to_string()))
            };
            out.push(UseLeaf {
                segs,
                name,
                glob: false,
                span: n.ident.span(),
            });
        }
        syn::UseTree::Rename(r) => {
            let mut segs = prefix.clone();
            if r.ident != "self" {
                segs.push(r.ident.to_string());
            }
            out.push(UseLeaf {
                segs,
                name: (r.rename != "_").then(|| r.rename.to_string()),
                glob: false,
                span: r.ident.span(),
            });
        }
        syn::UseTree::Glob(g) => out.push(UseLeaf {
            segs: prefix.clone(),
            name: None,
            glob: true,
            span: g.star_token.spans[0],
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
    }
}

/// First pass: every `use` and `extern crate` of a file, per module.
struct Collector<'s> {
    module: Vec<String>,
    scopes: &'s mut Scopes,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            let written = Written {
                module: self.module.clone(),
                leading_colon: u.leading_colon.is_some(),
                segs: leaf.segs,
            };
            if leaf.glob {
                self.scopes
                    .globs
                    .entry(self.module.clone())
                    .or_default()
                    .push(written);
            } else if let Some(name) = leaf.name {
                self.scopes
                    .names
                    .entry(self.module.clone())
                    .or_default()
                    .insert(name, written);
            }
        }
    }

    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        let name = match &e.rename {
            Some((_, rename)) => rename.to_string(),
            None => e.ident.to_string(),
        };
        if name != "_" {
            self.scopes
                .names
                .entry(self.module.clone())
                .or_default()
                .insert(
                    name,
                    Written {
                        module: self.module.clone(),
                        leading_colon: true,
                        segs: vec![e.ident.to_string()],
                    },
                );
        }
    }
}

/// Second pass: every use, path, method name and macro body, resolved and compared.
struct Checker<'a> {
    rule: &'a Rule,
    forbidden: Vec<Vec<String>>,
    scopes: &'a Scopes,
    module: Vec<String>,
    file: &'a str,
    found: Vec<String>,
}

impl Checker<'_> {
    fn report(&mut self, span: Span, what: String) {
        let line = format!(
            "{}:{}: names {what} (forbidden in src/{})",
            self.file,
            span.start().line,
            self.rule.layer
        );
        if !self.found.contains(&line) {
            self.found.push(line);
        }
    }

    /// Checks an absolute path: under a forbidden prefix, containing a forbidden identifier, or
    /// an item of an `only` module that is not in its list.
    fn check_abs(&mut self, span: Span, abs: &[String]) {
        let hit = self
            .forbidden
            .iter()
            .any(|f| abs.len() >= f.len() && abs[..f.len()] == f[..])
            || abs
                .iter()
                .any(|s| self.rule.forbidden_idents.contains(&s.as_str()));
        if hit {
            self.report(span, abs.join("::"));
            return;
        }
        for (module, items) in self.rule.only {
            let m: Vec<&str> = module.split("::").collect();
            if abs.len() > m.len()
                && abs[..m.len()].iter().zip(&m).all(|(a, b)| a == b)
                && !items.contains(&abs[m.len()].as_str())
            {
                let what = format!(
                    "{} (of {module} only {} may be named)",
                    abs.join("::"),
                    items.join(", ")
                );
                self.report(span, what);
            }
        }
    }

    /// Checks a written path. A single identifier is only a path to check when a `use` gave it a
    /// meaning (else it is a local, a prelude name or an item of this module).
    fn check_written(&mut self, span: Span, leading_colon: bool, segs: &[String]) {
        if segs.is_empty() {
            return;
        }
        if segs.len() == 1 && !leading_colon {
            let s = &segs[0];
            if self.rule.forbidden_idents.contains(&s.as_str()) {
                self.report(span, s.clone());
            } else if let Some(abs) = self.scopes.lookup(&self.module, s) {
                self.check_abs(span, &abs);
            }
            return;
        }
        let abs = self.scopes.resolve(&self.module, leading_colon, segs);
        self.check_abs(span, &abs);
    }

    /// A glob over a parent of a forbidden path (`use std::*`, `use crate::*`) brings the
    /// forbidden module in under its short name; a glob over an `only` module brings in all of it.
    fn check_glob(&mut self, span: Span, abs: &[String]) {
        let hidden = self
            .forbidden
            .iter()
            .find(|f| f.len() > abs.len() && f[..abs.len()] == abs[..]);
        if let Some(f) = hidden {
            let what = format!(
                "{}::* (a glob that brings in {})",
                abs.join("::"),
                f.join("::")
            );
            self.report(span, what);
        } else if let Some((module, _)) = self.rule.only.iter().find(|(m, _)| *m == abs.join("::"))
        {
            self.report(
                span,
                format!("{module}::* (a glob over a module that is only partly allowed)"),
            );
        } else {
            self.check_abs(span, abs);
        }
    }

    /// Path-like token sequences in a macro body or an attribute's arguments: `a::b::c`,
    /// `::a::b`, `$crate::a`, `a::{b, c::d}`, and forbidden identifiers on their own.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let toks: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < toks.len() {
            if let TokenTree::Group(g) = &toks[i] {
                self.scan_tokens(g.stream());
                i += 1;
                continue;
            }
            match token_path(&toks, i) {
                Some(p) => {
                    match &p.group {
                        Some(group) => self.scan_use_group(&p, group.stream()),
                        None if p.glob => {
                            let abs = self.scopes.resolve(&self.module, p.leading_colon, &p.segs);
                            self.check_glob(p.span, &abs);
                        }
                        None => self.check_written(p.span, p.leading_colon, &p.segs),
                    }
                    i = p.end;
                }
                None => i += 1,
            }
        }
    }

    /// `prefix::{a, b::c, self}` inside a macro body: each item joined to the prefix.
    fn scan_use_group(&mut self, prefix: &TokenPath, items: TokenStream) {
        let toks: Vec<TokenTree> = items.into_iter().collect();
        for chunk in toks.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
            let Some(p) = token_path(chunk, 0) else {
                continue;
            };
            let mut joined = TokenPath {
                leading_colon: prefix.leading_colon,
                segs: prefix.segs.clone(),
                span: p.span,
                end: 0,
                glob: p.glob,
                group: p.group.clone(),
            };
            joined
                .segs
                .extend(p.segs.iter().filter(|s| *s != "self").cloned());
            match &p.group {
                Some(g) => self.scan_use_group(&joined, g.stream()),
                None => {
                    let abs = self
                        .scopes
                        .resolve(&self.module, joined.leading_colon, &joined.segs);
                    if joined.glob {
                        self.check_glob(joined.span, &abs);
                    } else {
                        self.check_abs(joined.span, &abs);
                    }
                }
            }
        }
    }
}

/// A path found among tokens, ending before `end`.
struct TokenPath {
    leading_colon: bool,
    segs: Vec<String>,
    span: Span,
    end: usize,
    /// Ends in `::*`.
    glob: bool,
    /// Ends in `::{...}`.
    group: Option<proc_macro2::Group>,
}

fn is_colon2(toks: &[TokenTree], i: usize) -> bool {
    matches!(
        (toks.get(i), toks.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == proc_macro2::Spacing::Joint && b.as_char() == ':'
    )
}

fn token_path(toks: &[TokenTree], start: usize) -> Option<TokenPath> {
    let mut i = start;
    let mut p = TokenPath {
        leading_colon: false,
        segs: Vec::new(),
        span: toks.get(start)?.span(),
        end: start,
        glob: false,
        group: None,
    };
    if is_colon2(toks, i) {
        p.leading_colon = true;
        i += 2;
    } else if let (Some(TokenTree::Punct(d)), Some(TokenTree::Ident(c))) =
        (toks.get(i), toks.get(i + 1))
    {
        if d.as_char() == '$' && c == "crate" {
            p.segs.push("$crate".into());
            i += 2;
            if !is_colon2(toks, i) {
                return None;
            }
            i += 2;
        }
    }
    loop {
        let TokenTree::Ident(id) = toks.get(i)? else {
            return None;
        };
        p.segs.push(id.to_string());
        i += 1;
        if !is_colon2(toks, i) {
            break;
        }
        match toks.get(i + 2) {
            Some(TokenTree::Ident(_)) => i += 2,
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                p.group = Some(g.clone());
                i += 3;
                break;
            }
            Some(TokenTree::Punct(s)) if s.as_char() == '*' => {
                p.glob = true;
                i += 3;
                break;
            }
            // `::<` (turbofish) or the end.
            _ => break,
        }
    }
    p.end = i;
    Some(p)
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        for attr in &u.attrs {
            self.visit_attribute(attr);
        }
        let mut leaves = Vec::new();
        use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            let abs = self
                .scopes
                .resolve(&self.module, u.leading_colon.is_some(), &leaf.segs);
            if leaf.glob {
                self.check_glob(leaf.span, &abs);
            } else {
                self.check_abs(leaf.span, &abs);
            }
        }
    }

    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        self.check_abs(e.ident.span(), &[e.ident.to_string()]);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let span = match (&p.leading_colon, p.segments.first()) {
            (Some(c), _) => c.spans[0],
            (None, Some(s)) => s.ident.span(),
            (None, None) => Span::call_site(),
        };
        self.check_written(span, p.leading_colon.is_some(), &segs);
        visit::visit_path(self, p);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if self.rule.forbidden_idents.contains(&name.as_str()) {
            self.report(m.method.span(), format!("method {name}"));
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.scan_tokens(m.tokens.clone());
    }

    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.visit_path(&m.path);
        self.scan_tokens(m.tokens.clone());
    }
}

/// Every violation of `rule` in one file's `source`, whose module is `module`
/// (`crate::tui::ui::jobs`); lines are reported as `<file>:<line>: names ...`.
fn check_source(source: &str, file: &str, module: &str, rule: &Rule) -> Vec<String> {
    let ast = syn::parse_file(source).unwrap_or_else(|e| {
        let at = e.span().start();
        panic!("{file}:{}:{}: cannot parse: {e}", at.line, at.column + 1)
    });
    let module: Vec<String> = module.split("::").map(str::to_string).collect();
    let forbidden: Vec<Vec<String>> = rule
        .forbidden
        .iter()
        .flat_map(|group| group.iter())
        .map(|f| f.split("::").map(str::to_string).collect())
        .collect();
    let mut scopes = Scopes {
        externs: ["std", "core", "alloc"]
            .into_iter()
            .map(str::to_string)
            .chain(forbidden.iter().map(|f| f[0].clone()))
            .filter(|s| s != "crate")
            .collect(),
        ..Scopes::default()
    };
    let mut collector = Collector {
        module: module.clone(),
        scopes: &mut scopes,
    };
    collector.visit_file(&ast);
    let mut checker = Checker {
        rule,
        forbidden,
        scopes: &scopes,
        module,
        file,
        found: Vec::new(),
    };
    checker.visit_file(&ast);
    checker.found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}"));
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module of a file under `src/` (`src/tui/ui/mod.rs` is `crate::tui::ui`).
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    std::iter::once("crate".to_string())
        .chain(parts)
        .collect::<Vec<_>>()
        .join("::")
}

/// Every violation of `rule` under `src/<dir>`.
fn violations(dir: &str, rule: &Rule) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = manifest.join("src");
    let mut files = Vec::new();
    rust_files(&src.join(dir), &mut files);
    assert!(!files.is_empty(), "no sources under src/{dir}");
    files.sort();
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("read {f:?}: {e}"));
        let rel = f.strip_prefix(&src).expect("under src");
        let shown = f.strip_prefix(manifest).unwrap_or(&f).display().to_string();
        found.extend(check_source(&text, &shown, &module_of(rel), rule));
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The layers

#[test]
fn tui_does_no_io_and_names_no_work_layer() {
    let v = violations("tui", &TUI);
    assert!(
        v.is_empty(),
        "src/tui must do no I/O but the terminal and talk to the workers only through messages:\n{}",
        v.join("\n")
    );
}

#[test]
fn domain_is_pure() {
    let v = violations("domain", &DOMAIN);
    assert!(v.is_empty(), "src/domain must stay pure:\n{}", v.join("\n"));
}

#[test]
fn the_checker_reads_the_real_tree() {
    // The workers do what the TUI may not: the same rule over `src/service` finds it.
    let v = violations("service", &TUI);
    let has = |needle: &str| v.iter().any(|l| l.contains(needle));
    assert!(has("names tokio::spawn"), "{v:#?}");
    assert!(has("names crate::store"), "{v:#?}");
    assert!(has("names crate::flink"), "{v:#?}");
    assert!(
        v.iter()
            .all(|l| l.starts_with("src/service/") && l.contains(".rs:")),
        "{v:#?}"
    );
    assert!(violations("flink", &TUI)
        .iter()
        .any(|l| l.contains("names reqwest")));
}

// ---------------------------------------------------------------------------------------------
// The checker's own tests

const MODULE: &str = "crate::tui::ui::jobs";

/// The paths a snippet is reported for, in order.
fn named(source: &str, module: &str, rule: &Rule) -> Vec<String> {
    check_source(source, "snippet.rs", module, rule)
        .into_iter()
        .map(|l| {
            let rest = l.split_once(": names ").expect("format").1;
            rest.split(" (forbidden")
                .next()
                .expect("format")
                .to_string()
        })
        .collect()
}

#[test]
fn the_report_names_file_line_and_path() {
    let v = check_source(
        "use crate::domain::Job;\n\nuse crate::service::Clusters;\n",
        "src/tui/x.rs",
        "crate::tui::x",
        &TUI,
    );
    assert_eq!(
        v,
        ["src/tui/x.rs:3: names crate::service::Clusters (forbidden in src/tui)"]
    );
}

#[test]
fn the_checker_catches_every_forbidden_form() {
    let cases: &[(&str, &[&str])] = &[
        ("use std::{fs, net};", &["std::fs", "std::net"]),
        ("use std::fs as f;", &["std::fs"]),
        ("use std::fs::*;", &["std::fs"]),
        ("use std::*;", &["std::* (a glob that brings in std::env)"]),
        (
            "use crate::*;",
            &["crate::* (a glob that brings in crate::service)"],
        ),
        (
            "use crate::{service::x, domain};",
            &["crate::service::x"],
        ),
        (
            "use super::super::super::store::Store;",
            &["crate::store::Store"],
        ),
        (
            "use self::super::super::super::flink::FlinkClient;",
            &["crate::flink::FlinkClient"],
        ),
        (
            "mod inner { fn f() { super::super::super::super::service::go(); } }",
            &["crate::service::go"],
        ),
        ("use crate::backend::ClusterBackend;", &["crate::backend::ClusterBackend"]),
        ("use crate::cli::setup;", &["crate::cli::setup"]),
        ("use crate::sqlrunner::Runner;", &["crate::sqlrunner::Runner"]),
        ("use crate::sqltools::{self};", &["crate::sqltools"]),
        ("use ::std::env::{self, var};", &["std::env", "std::env::var"]),
        (
            "fn f() { let _ = std::env::var(\"NO_COLOR\"); }",
            &["std::env::var"],
        ),
        (
            "fn f() -> usize { ::std::fs::read(\"x\").map(|v| v.len()).unwrap_or(0) }",
            &["std::fs::read"],
        ),
        (
            "fn f() { let _ = std::process::Command::new(\"sh\"); }",
            &["std::process::Command::new"],
        ),
        ("fn f() { tokio::spawn(async {}); }", &["tokio::spawn"]),
        (
            "fn f() { let _ = tokio::task::spawn_blocking(|| 1); }",
            &["tokio::task::spawn_blocking"],
        ),
        ("fn f() { std::thread::spawn(|| ()); }", &["std::thread::spawn"]),
        (
            "fn f(h: &Handle) { h.spawn_blocking(|| ()); }",
            &["method spawn_blocking"],
        ),
        (
            "fn f() { let _ = tokio::runtime::Handle::current(); }",
            &["tokio::runtime::Handle::current"],
        ),
        (
            "async fn f() { let _ = tokio::fs::read(\"x\").await; }",
            &["tokio::fs::read"],
        ),
        ("use tokio::net::TcpStream;", &["tokio::net::TcpStream"]),
        (
            "fn f() { let _ = std::os::unix::net::UnixStream::connect(\"s\"); }",
            &["std::os::unix::net::UnixStream::connect"],
        ),
        // Types, generics, patterns, qualified paths.
        ("fn f() -> reqwest::Client { loop {} }", &["reqwest::Client"]),
        ("struct S { db: Vec<rusqlite::Connection> }", &["rusqlite::Connection"]),
        ("impl From<hyper::Error> for E {}", &["hyper::Error"]),
        ("fn f(p: kube::Api<Pod>) {}", &["kube::Api"]),
        (
            "fn f() { let _: Option<k8s_openapi::api::core::v1::Pod> = None; }",
            &["k8s_openapi::api::core::v1::Pod"],
        ),
        (
            "fn f() { let _ = <std::fs::File as Read>::read; }",
            &["std::fs::File"],
        ),
        ("extern crate rusqlite;", &["rusqlite"]),
        // Renames followed wherever the `use` is, even after the use site.
        (
            "fn f() { root::store::open(); } use crate as root;",
            &["crate::store::open"],
        ),
        (
            "use std::{self as s}; fn f() { s::net::TcpStream::connect(\"x\"); }",
            &["std::net::TcpStream::connect"],
        ),
        (
            "use std::env::var as v; fn f() { v(\"X\"); }",
            &["std::env::var"],
        ),
        (
            "mod inner { use std::fs; } mod tests { use super::inner::*; fn f() { fs::write(\"a\", \"b\"); } }",
            &["std::fs", "std::fs::write"],
        ),
        // Macro bodies.
        (
            "fn f() { println!(\"{}\", std::env::var(\"X\").unwrap()); }",
            &["std::env::var"],
        ),
        (
            "async fn f() { tokio::select! { _ = tokio::fs::read(\"x\") => {} } }",
            &["tokio::fs::read"],
        ),
        (
            "fn f() { let _ = format!(\"{:?}\", ::std::process::id()); }",
            &["std::process::id"],
        ),
        (
            "macro_rules! m { () => { $crate::cli::run() }; }",
            &["crate::cli::run"],
        ),
        (
            "macro_rules! m { () => { use std::{fs, net::TcpStream}; }; }",
            &["std::fs", "std::net::TcpStream"],
        ),
        (
            "fn f() { let _ = vec![h.spawn_blocking(g)]; }",
            &["spawn_blocking"],
        ),
        // Of the config, only its parsing helpers.
        (
            "fn f() { let _ = crate::config::Config::load_or_default(None); }",
            &["crate::config::Config::load_or_default (of crate::config only ConfigError, Seg, TomlDoc, describe, expected_list, is_name, key_path may be named)"],
        ),
        (
            "use crate::config::{self, TomlDoc}; fn f() { config::default_data_dir(); }",
            &["crate::config::default_data_dir (of crate::config only ConfigError, Seg, TomlDoc, describe, expected_list, is_name, key_path may be named)"],
        ),
        (
            "use crate::config::*;",
            &["crate::config::* (a glob over a module that is only partly allowed)"],
        ),
        // Attributes' arguments.
        (
            "#[cfg_attr(test, derive(crate::service::Fake))] struct S;",
            &["crate::service::Fake"],
        ),
    ];
    for (source, expected) in cases {
        assert_eq!(&named(source, MODULE, &TUI), expected, "in: {source}");
    }
}

#[test]
fn the_checker_leaves_allowed_code_alone() {
    let allowed = [
        // Comments, doc comments and strings.
        "// use std::fs; crate::service::x\n/// See crate::store and std::env::var.\nfn f() {}",
        "/* std::fs::read(\"x\") */ fn f() -> &'static str { \"std::fs kube reqwest crate::service\" }",
        "fn f() { let _ = format!(\"std::env::var({})\", 1); }",
        "#[doc = \"crate::flink::FlinkClient\"] struct S;",
        // The domain, the config's parsing helpers, the TUI's own modules.
        "use crate::domain::{Job, JobState}; use crate::config::{ConfigError, TomlDoc};",
        "use super::super::app::App; use super::{panel, Col}; use super::super::keymap::*;",
        "fn f() { let _ = crate::config::is_name(\"x\"); let _ = crate::domain::time::now_ms(); }",
        // std and tokio that do no I/O.
        "use std::{fmt, io::Write, collections::HashMap}; fn f(x: &mut Vec<u8>) { std::mem::take(x); }",
        "use tokio::sync::mpsc::{Receiver, Sender}; async fn f() { tokio::time::sleep(D).await; }",
        "async fn f() { tokio::select! { _ = tokio::time::sleep(D) => {} } }",
        "use std::io::{self, Stdout}; fn f() { let _ = std::panic::take_hook(); }",
        // Names that only look alike, locals and fields.
        "fn f(kube_name: &str, service: u32) -> u32 { let store = service; self.store.len() + store }",
        "fn spawn_rows() {} struct Env; fn g(e: Env) -> Env { e }",
        "fn f() { let _ = env!(\"CARGO_PKG_VERSION\"); let _ = include_str!(\"../x.toml\"); }",
        // Relative paths stay inside the TUI.
        "mod service { pub fn x() {} } fn f() { service::x(); self::service::x(); }",
        "mod tests { use super::*; fn f() { let _ = Theme::plain(); } }",
    ];
    for source in allowed {
        assert_eq!(
            named(source, MODULE, &TUI),
            Vec::<String>::new(),
            "in: {source}"
        );
    }
}

#[test]
fn the_domain_rule_also_keeps_out_the_tui_and_the_terminal() {
    let m = "crate::domain::job";
    assert_eq!(
        named("use crate::tui::App;", m, &DOMAIN),
        ["crate::tui::App"]
    );
    assert_eq!(
        named("use super::super::tui::theme::Theme;", m, &DOMAIN),
        ["crate::tui::theme::Theme"]
    );
    assert_eq!(
        named("fn f() -> ratatui::style::Color { loop {} }", m, &DOMAIN),
        ["ratatui::style::Color"]
    );
    assert_eq!(
        named("use tokio::sync::mpsc;", m, &DOMAIN),
        ["tokio::sync::mpsc"]
    );
    assert_eq!(named("use std::fs::File;", m, &DOMAIN), ["std::fs::File"]);
    assert_eq!(
        named(
            "use super::time::now_ms; use crate::domain::Job;",
            m,
            &DOMAIN
        ),
        Vec::<String>::new()
    );
}
