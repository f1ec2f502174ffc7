//! Themes (k9s-style skins): meaning-based style keys (`header`, `selected`, `error`,
//! `state.running`, `health.stale`...) read from TOML.
//!
//! Built-in themes are `themes/*.toml`, compiled in. A user file `<config dir>/themes/<name>.toml`
//! overrides the built-in of the same name key by key (a key's whole style is replaced), or
//! defines a new theme starting from `default` (or from the built-in named by `extends`).
//! `NO_COLOR` gives the colour-free `mono` theme; [`Theme::to_16_colors`] serves terminals
//! without truecolor.
//!
//! Only parsing happens here: the caller (`cli::ui_files`) reads the user's theme file and the
//! environment and hands in the text ([`UserTheme`]) and the values.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::{describe, expected_list, key_path, ConfigError, Seg, TomlDoc};
use crate::domain::{HealthStatus, JobState};

/// Built-in themes: name and TOML text.
const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
];

/// Names of the built-in themes.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// Whether the user asked for no colours, given the value of `NO_COLOR` (read by the caller): set
/// and not empty, see no-color.org.
pub fn no_color_requested(no_color: Option<&OsStr>) -> bool {
    no_color.is_some_and(|v| !v.is_empty())
}

/// Whether the terminal says it renders 24-bit colour, given the value of `COLORTERM` (read by the
/// caller): `truecolor` or `24bit`. When it does not, use [`Theme::to_16_colors`].
pub fn truecolor_supported(colorterm: Option<&str>) -> bool {
    colorterm.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v == "truecolor" || v == "24bit"
    })
}

/// A theme file in use changed (from the theme watcher): the theme loaded from it, or why it
/// could not be (the console keeps the old theme and shows the error).
#[derive(Debug, Clone, PartialEq)]
pub enum ThemeReload {
    Loaded(Box<Theme>),
    Failed(String),
}

/// What the caller found in the user's theme directory for the wanted theme (see
/// [`Theme::wanted`]); the TUI reads no files itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserTheme {
    /// There is no user theme directory.
    None,
    /// The user's `<dir>/<name>.toml`: where it was read from and its text.
    File { path: PathBuf, text: String },
    /// The directory has no `<name>.toml`; `available` are the stems of its `*.toml` files (for
    /// the error that lists the themes when the name is not a built-in either).
    Missing {
        dir: PathBuf,
        available: Vec<String>,
    },
}

macro_rules! style_group {
    ($(#[$meta:meta])* $group:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $group {
            $(pub $field: Style,)*
        }

        impl $group {
            const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn get_mut(&mut self, key: &str) -> Option<&mut Style> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            fn for_each_mut(&mut self, f: &mut dyn FnMut(&mut Style)) {
                $(f(&mut self.$field);)*
            }
        }
    };
}

style_group!(
    /// One style per Flink job state (`[state]` in the theme file).
    StateStyles {
        running,
        failed,
        restarting,
        finished,
        canceled,
        cancelling,
        failing,
        created,
        initializing,
        suspended,
        reconciling,
        unknown,
    }
);

style_group!(
    /// One style per cluster health badge (`[health]` in the theme file).
    HealthStyles {
        live,
        stale,
        degraded,
        unreachable,
        pending,
    }
);

macro_rules! theme_struct {
    ($(#[$meta:meta])* $($field:ident),* $(,)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            pub name: String,
            $(pub $field: Style,)*
            /// `[state]`: one style per job state.
            pub states: StateStyles,
            /// `[health]`: one style per cluster health.
            pub healths: HealthStyles,
        }

        /// The top-level style keys of a theme file.
        const UI_KEYS: &[&str] = &[$(stringify!($field)),*];

        impl Theme {
            /// A theme with every style empty.
            fn blank(name: &str) -> Theme {
                Theme {
                    name: name.to_string(),
                    $($field: Style::default(),)*
                    states: StateStyles::default(),
                    healths: HealthStyles::default(),
                }
            }

            fn ui_style_mut(&mut self, key: &str) -> Option<&mut Style> {
                match key {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            fn for_each_ui_mut(&mut self, f: &mut dyn FnMut(&mut Style)) {
                $(f(&mut self.$field);)*
            }
        }
    };
}

theme_struct!(
    /// A complete set of styles: one public field per top-level key of a theme file (`header`,
    /// `selected`, `error`...), plus the job state and health groups. Use [`Theme::state`] and
    /// [`Theme::health`] to style a state or a badge.
    base,
    header,
    border,
    border_focused,
    title,
    selected,
    dim,
    error,
    warning,
    ok,
    key_hint,
    tab_active,
    tab_inactive,
    table_header,
    sparkline,
    search_match,
    gutter,
    sql_keyword,
    sql_type,
    sql_string,
    sql_comment,
    sql_number,
    sql_variable,
    sql_hint,
    sql_function,
    diff_added,
    diff_removed,
    problem_error,
    problem_warning,
);

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("default").unwrap_or_else(Theme::plain)
    }
}

impl Theme {
    /// A built-in theme (`default`, `light`, `mono`).
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        let path = builtin_path(name);
        let doc = TomlDoc::parse(text, Some(&path)).ok()?;
        let mut theme = Theme::blank(name);
        apply(&mut theme, &doc).ok()?;
        Some(theme)
    }

    /// The theme to look for: `mono` when `no_color`, else `name`. An error (key `ui.theme`) unless
    /// it is a plain name, since it names a file in the user's theme directory.
    pub fn wanted(name: &str, no_color: bool) -> Result<&str, ConfigError> {
        let wanted = if no_color { "mono" } else { name };
        if !crate::config::is_name(wanted) {
            return Err(ConfigError::new(format!(
                "invalid theme name {wanted:?}: use letters, digits, '.', '_' or '-'"
            ))
            .with_key("ui.theme"));
        }
        Ok(wanted)
    }

    /// Theme `name` from what the caller found for it in the user's theme directory (`user`, for
    /// the name [`Theme::wanted`] gives): the user's file on top of the built-in of that name (or
    /// of `default`, or of its `extends`), else the built-in. With `no_color`, the `mono` theme
    /// (user overrides included) without any colour.
    pub fn resolve(name: &str, user: &UserTheme, no_color: bool) -> Result<Theme, ConfigError> {
        let wanted = Theme::wanted(name, no_color)?;
        let theme = match user {
            UserTheme::File { path, text } => Theme::from_user_file(wanted, text, path)?,
            UserTheme::Missing { dir, available } => {
                Theme::builtin_or_error(wanted, Some((dir, available)))?
            }
            UserTheme::None => Theme::builtin_or_error(wanted, None)?,
        };
        Ok(if no_color {
            theme.without_colors()
        } else {
            theme
        })
    }

    /// Parses a user theme file's `text` (as read from `path`) on top of its base theme.
    pub fn from_user_file(name: &str, text: &str, path: &Path) -> Result<Theme, ConfigError> {
        let doc = TomlDoc::parse(text, Some(path))?;
        let mut theme = match doc.root().get_key_value("extends") {
            Some((_, v)) => {
                let DeValue::String(base) = v.get_ref() else {
                    return Err(doc.error_at(
                        v.span(),
                        "extends",
                        format!(
                            "invalid type: {}, expected a theme name",
                            describe(v.get_ref())
                        ),
                    ));
                };
                Theme::builtin(base).ok_or_else(|| {
                    doc.error_at(
                        v.span(),
                        "extends",
                        format!(
                            "unknown built-in theme {base:?}; expected {}",
                            expected_list(&builtin_names())
                        ),
                    )
                })?
            }
            None => Theme::builtin(name)
                .or_else(|| Theme::builtin("default"))
                .unwrap_or_else(|| Theme::blank(name)),
        };
        apply(&mut theme, &doc)?;
        theme.name = name.to_string();
        Ok(theme)
    }

    /// The built-in `name`, else an error listing the built-ins and the user's themes (`user`:
    /// the directory looked in and the names found there).
    fn builtin_or_error(
        name: &str,
        user: Option<(&Path, &[String])>,
    ) -> Result<Theme, ConfigError> {
        Theme::builtin(name).ok_or_else(|| {
            let mut names: Vec<String> = builtin_names().iter().map(|s| s.to_string()).collect();
            if let Some((_, available)) = user {
                names.extend(available.iter().cloned());
            }
            names.sort();
            names.dedup();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let looked = match user {
                Some((d, _)) => format!(" (looked in {})", d.display()),
                None => String::new(),
            };
            ConfigError::new(format!(
                "unknown theme {name:?}{looked}; available: {}",
                names.join(", ")
            ))
            .with_key("ui.theme")
        })
    }

    /// No colours at all, only modifiers: the built-in `mono` theme.
    pub fn plain() -> Theme {
        match Theme::builtin("mono") {
            Some(t) => t.without_colors(),
            None => {
                let mut t = Theme::blank("mono");
                t.selected = Style::default().add_modifier(Modifier::REVERSED);
                t.header = Style::default().add_modifier(Modifier::REVERSED);
                t
            }
        }
    }

    /// The style of a job state.
    pub fn state(&self, s: &JobState) -> Style {
        let st = &self.states;
        match s {
            JobState::Initializing => st.initializing,
            JobState::Created => st.created,
            JobState::Running => st.running,
            JobState::Failing => st.failing,
            JobState::Failed => st.failed,
            JobState::Cancelling => st.cancelling,
            JobState::Canceled => st.canceled,
            JobState::Finished => st.finished,
            JobState::Restarting => st.restarting,
            JobState::Suspended => st.suspended,
            JobState::Reconciling => st.reconciling,
            JobState::Unknown(_) => st.unknown,
        }
    }

    /// The style of a cluster health badge.
    pub fn health(&self, h: HealthStatus) -> Style {
        let hs = &self.healths;
        match h {
            HealthStatus::Pending => hs.pending,
            HealthStatus::Live => hs.live,
            HealthStatus::Stale => hs.stale,
            HealthStatus::Degraded => hs.degraded,
            HealthStatus::Unreachable => hs.unreachable,
        }
    }

    /// The same theme with every RGB or indexed colour replaced by the nearest of the 16 ANSI
    /// colours (for terminals without truecolor).
    pub fn to_16_colors(&self) -> Theme {
        let mut t = self.clone();
        t.for_each_style_mut(&mut |s| {
            s.fg = s.fg.map(nearest_ansi16);
            s.bg = s.bg.map(nearest_ansi16);
        });
        t
    }

    /// The same theme with no foreground or background colours (modifiers stay).
    pub fn without_colors(&self) -> Theme {
        let mut t = self.clone();
        t.for_each_style_mut(&mut |s| {
            s.fg = None;
            s.bg = None;
        });
        t
    }

    /// Whether any style sets a colour.
    pub fn has_colors(&self) -> bool {
        let mut any = false;
        let mut t = self.clone();
        t.for_each_style_mut(&mut |s| any |= s.fg.is_some() || s.bg.is_some());
        any
    }

    fn for_each_style_mut(&mut self, f: &mut dyn FnMut(&mut Style)) {
        self.for_each_ui_mut(f);
        self.states.for_each_mut(f);
        self.healths.for_each_mut(f);
    }
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("<built-in>/themes/{name}.toml"))
}

const TOP_LEVEL_EXTRA: &[&str] = &["name", "description", "extends", "state", "health"];

/// Applies every key of a theme document to `theme`.
fn apply(theme: &mut Theme, doc: &TomlDoc<'_>) -> Result<(), ConfigError> {
    for (key, value) in doc.root().iter() {
        let k = key.get_ref().as_ref();
        match k {
            "name" | "description" | "extends" => {
                if !matches!(value.get_ref(), DeValue::String(_)) {
                    return Err(doc.error_at(
                        value.span(),
                        k,
                        format!(
                            "invalid type: {}, expected a string",
                            describe(value.get_ref())
                        ),
                    ));
                }
            }
            "state" => {
                let table = expect_table(doc, value, &[Seg::key("state")])?;
                apply_group(
                    doc,
                    table,
                    "state",
                    &mut theme.states,
                    StateStyles::KEYS,
                    StateStyles::get_mut,
                )?;
            }
            "health" => {
                let table = expect_table(doc, value, &[Seg::key("health")])?;
                apply_group(
                    doc,
                    table,
                    "health",
                    &mut theme.healths,
                    HealthStyles::KEYS,
                    HealthStyles::get_mut,
                )?;
            }
            _ => match theme.ui_style_mut(k) {
                Some(slot) => *slot = parse_style(doc, value, &[Seg::key(k)])?,
                None => {
                    let mut expected: Vec<&str> = UI_KEYS.to_vec();
                    expected.extend_from_slice(TOP_LEVEL_EXTRA);
                    return Err(doc.error_at(
                        key.span(),
                        k,
                        format!("unknown key `{k}`; expected {}", expected_list(&expected)),
                    ));
                }
            },
        }
    }
    Ok(())
}

fn apply_group<G>(
    doc: &TomlDoc<'_>,
    table: &DeTable<'_>,
    group: &str,
    target: &mut G,
    keys: &[&str],
    slot: for<'g> fn(&'g mut G, &str) -> Option<&'g mut Style>,
) -> Result<(), ConfigError> {
    for (key, value) in table.iter() {
        let k = key.get_ref().as_ref();
        let path = [Seg::key(group), Seg::key(k)];
        match slot(target, k) {
            Some(s) => *s = parse_style(doc, value, &path)?,
            None => {
                return Err(doc.error_at(
                    key.span(),
                    key_path(&path),
                    format!("unknown key `{k}`; expected {}", expected_list(keys)),
                ))
            }
        }
    }
    Ok(())
}

fn expect_table<'v, 'i>(
    doc: &TomlDoc<'_>,
    value: &'v Spanned<DeValue<'i>>,
    path: &[Seg],
) -> Result<&'v DeTable<'i>, ConfigError> {
    match value.get_ref() {
        DeValue::Table(t) => Ok(t),
        other => Err(doc.error_at(
            value.span(),
            key_path(path),
            format!("invalid type: {}, expected a table", describe(other)),
        )),
    }
}

const STYLE_KEYS: &[&str] = &["fg", "bg", "modifiers"];

/// A style: a colour string (the foreground) or `{ fg, bg, modifiers }`.
fn parse_style(
    doc: &TomlDoc<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &[Seg],
) -> Result<Style, ConfigError> {
    match value.get_ref() {
        DeValue::String(s) => Ok(Style::default().fg(parse_color(doc, value.span(), s, path)?)),
        DeValue::Table(t) => {
            let mut style = Style::default();
            for (key, v) in t.iter() {
                let k = key.get_ref().as_ref();
                let mut p = path.to_vec();
                p.push(Seg::key(k));
                match k {
                    "fg" | "bg" => {
                        let DeValue::String(s) = v.get_ref() else {
                            return Err(doc.error_at(
                                v.span(),
                                key_path(&p),
                                format!(
                                    "invalid type: {}, expected a colour string",
                                    describe(v.get_ref())
                                ),
                            ));
                        };
                        let c = parse_color(doc, v.span(), s, &p)?;
                        style = if k == "fg" { style.fg(c) } else { style.bg(c) };
                    }
                    "modifiers" => style = style.add_modifier(parse_modifiers(doc, v, &p)?),
                    _ => {
                        return Err(doc.error_at(
                            key.span(),
                            key_path(&p),
                            format!("unknown key `{k}`; expected {}", expected_list(STYLE_KEYS)),
                        ))
                    }
                }
            }
            Ok(style)
        }
        other => Err(doc.error_at(
            value.span(),
            key_path(path),
            format!(
                "invalid type: {}, expected a colour string or a table like \
                 {{ fg = \"red\", bg = \"black\", modifiers = [\"bold\"] }}",
                describe(other)
            ),
        )),
    }
}

fn parse_color(
    doc: &TomlDoc<'_>,
    span: std::ops::Range<usize>,
    text: &str,
    path: &[Seg],
) -> Result<Color, ConfigError> {
    match text.trim().parse::<Color>() {
        Ok(c) => Ok(c),
        Err(_) => Err(doc.error_at(
            span,
            key_path(path),
            format!(
                "invalid colour {text:?}; expected a name (red, lightgreen, darkgray, ...), \
                 \"#rrggbb\" or a 256-colour index \"0\"..\"255\""
            ),
        )),
    }
}

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("hidden", Modifier::HIDDEN),
];

fn parse_modifier(name: &str) -> Option<Modifier> {
    let name = match name {
        "underline" => "underlined",
        "reverse" => "reversed",
        "strikethrough" => "crossed_out",
        other => other,
    };
    MODIFIERS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

fn parse_modifiers(
    doc: &TomlDoc<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &[Seg],
) -> Result<Modifier, ConfigError> {
    let one = |v: &Spanned<DeValue<'_>>, p: &[Seg]| -> Result<Modifier, ConfigError> {
        match v.get_ref() {
            DeValue::String(s) => parse_modifier(s).ok_or_else(|| {
                let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
                doc.error_at(
                    v.span(),
                    key_path(p),
                    format!("unknown modifier {s:?}; expected {}", expected_list(&names)),
                )
            }),
            other => Err(doc.error_at(
                v.span(),
                key_path(p),
                format!(
                    "invalid type: {}, expected a modifier name",
                    describe(other)
                ),
            )),
        }
    };
    match value.get_ref() {
        DeValue::Array(items) => {
            let mut m = Modifier::empty();
            for (i, item) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(Seg::Index(i));
                m |= one(item, &p)?;
            }
            Ok(m)
        }
        _ => one(value, path),
    }
}

/// The xterm default RGB values of the 16 ANSI colours.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// RGB of a 256-colour palette index (xterm defaults).
fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[i as usize].1,
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

/// The nearest of the 16 ANSI colours (named colours and `reset` are kept).
fn nearest_ansi16(c: Color) -> Color {
    let (r, g, b) = match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) if i < 16 => return ANSI16[i as usize].0,
        Color::Indexed(i) => indexed_rgb(i),
        other => return other,
    };
    let dist = |(r2, g2, b2): (u8, u8, u8)| {
        // "Redmean" weighted distance: cheap and closer to perception than plain RGB.
        let rm = (i32::from(r) + i32::from(r2)) / 2;
        let dr = i32::from(r) - i32::from(r2);
        let dg = i32::from(g) - i32::from(g2);
        let db = i32::from(b) - i32::from(b2);
        (((512 + rm) * dr * dr) >> 8) + 4 * dg * dg + (((767 - rm) * db * db) >> 8)
    };
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| dist(*rgb))
        .map(|(c, _)| *c)
        .unwrap_or(Color::Reset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_keys_defined(text: &str) -> Result<(), String> {
        let doc = TomlDoc::parse(text, None).map_err(|e| e.to_string())?;
        let root = doc.root();
        for k in UI_KEYS {
            if !root.contains_key(*k) {
                return Err(format!("missing {k}"));
            }
        }
        for (group, keys) in [("state", StateStyles::KEYS), ("health", HealthStyles::KEYS)] {
            let Some(DeValue::Table(t)) = root.get(group).map(|v| v.get_ref()) else {
                return Err(format!("missing [{group}]"));
            };
            for k in keys {
                if !t.contains_key(*k) {
                    return Err(format!("missing {group}.{k}"));
                }
            }
        }
        Ok(())
    }

    #[test]
    fn every_builtin_theme_parses_and_is_complete() {
        for (name, text) in BUILTIN {
            let t = Theme::builtin(name).unwrap_or_else(|| panic!("{name} parses"));
            assert_eq!(t.name, *name);
            let doc = TomlDoc::parse(text, Some(&builtin_path(name))).expect("parses");
            let mut blank = Theme::blank(name);
            if let Err(e) = apply(&mut blank, &doc) {
                panic!("{name}: {e}");
            }
            if let Err(e) = all_keys_defined(text) {
                panic!("theme {name}: {e}");
            }
        }
        assert!(Theme::builtin("nope").is_none());
        assert!(Theme::builtin("default").is_some_and(|t| t.has_colors()));
        assert!(!Theme::builtin("mono").is_some_and(|t| t.has_colors()));
    }

    /// Every colour of a theme, foreground and background.
    fn colours(t: &Theme) -> Vec<Color> {
        let mut t = t.clone();
        let mut out = Vec::new();
        t.for_each_style_mut(&mut |s: &mut Style| out.extend([s.fg, s.bg].into_iter().flatten()));
        out
    }

    /// `ansi16` uses only the 16 named ANSI colours: no RGB, no 256-colour index, and every
    /// colour is one of the sixteen (or the terminal's own `reset`).
    #[test]
    fn ansi16_uses_only_the_16_ansi_colours() {
        let t = Theme::builtin("ansi16").expect("ansi16 is built in");
        let cs = colours(&t);
        assert!(cs.len() > 40, "the theme has colours: {}", cs.len());
        for c in cs {
            assert!(
                !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                "ansi16 uses {c:?}"
            );
            assert!(
                c == Color::Reset || ANSI16.iter().any(|(a, _)| *a == c),
                "{c:?} is not one of the 16 ANSI colours"
            );
        }
        // The check can fail: the default theme has a 256-colour index.
        let default = colours(&Theme::builtin("default").expect("default"));
        assert!(default.iter().any(|c| matches!(c, Color::Indexed(_))));
    }

    /// `high-contrast` differs from the default, draws on an explicit black background and
    /// dims nothing in the header or the selection.
    #[test]
    fn high_contrast_is_built_in() {
        let t = Theme::builtin("high-contrast").expect("built in");
        assert_ne!(t, Theme::default());
        assert_eq!(t.base.bg, Some(Color::Black));
        for s in [t.header, t.selected, t.error] {
            assert!(!s.add_modifier.contains(Modifier::DIM), "{s:?}");
            assert!(s.add_modifier.contains(Modifier::BOLD), "{s:?}");
        }
        assert!(builtin_names().contains(&"high-contrast"));
        assert!(builtin_names().contains(&"ansi16"));
    }

    #[test]
    fn default_is_the_default_builtin() {
        assert_eq!(
            Theme::default(),
            Theme::builtin("default").expect("builtin")
        );
        assert_eq!(
            Theme::default().state(&JobState::Running).fg,
            Some(Color::Green)
        );
    }

    #[test]
    fn unknown_key_and_modifier_errors() {
        let e = Theme::from_user_file("x", "colour = \"red\"\n", Path::new("/t/x.toml"))
            .expect_err("unknown key");
        assert_eq!(e.key.as_deref(), Some("colour"));
        assert!(
            e.message
                .starts_with("unknown key `colour`; expected one of base,"),
            "{e}"
        );
        let e = Theme::from_user_file(
            "x",
            "dim = { modifiers = [\"bold\", \"blinky\"] }\n",
            Path::new("/t/x.toml"),
        )
        .expect_err("bad modifier");
        assert_eq!(e.key.as_deref(), Some("dim.modifiers[1]"));
        assert_eq!((e.line, e.column), (Some(1), Some(30)));
    }

    #[test]
    fn resolve_takes_the_text_the_caller_read() {
        let user = UserTheme::File {
            path: PathBuf::from("/t/ocean.toml"),
            text: "ok = \"blue\"\n".into(),
        };
        let t = Theme::resolve("ocean", &user, false).expect("resolves");
        assert_eq!((t.name.as_str(), t.ok.fg), ("ocean", Some(Color::Blue)));
        let missing = UserTheme::Missing {
            dir: PathBuf::from("/t"),
            available: vec!["ocean".into()],
        };
        assert_eq!(
            Theme::resolve("light", &missing, false).ok(),
            Theme::builtin("light")
        );
        let e = Theme::resolve("nope", &missing, false).expect_err("unknown");
        assert!(
            e.message.contains(
                "(looked in /t); available: ansi16, default, high-contrast, light, mono, ocean"
            ),
            "{e}"
        );
        let e = Theme::resolve("../x", &UserTheme::None, false).expect_err("not a name");
        assert_eq!(e.key.as_deref(), Some("ui.theme"));
        assert!(!Theme::resolve("default", &UserTheme::None, true)
            .expect("mono")
            .has_colors());
    }

    #[test]
    fn colour_environment_values() {
        assert!(no_color_requested(Some(OsStr::new("1"))));
        assert!(!no_color_requested(Some(OsStr::new(""))));
        assert!(!no_color_requested(None));
        assert!(truecolor_supported(Some("TrueColor")));
        assert!(truecolor_supported(Some("24bit")));
        assert!(!truecolor_supported(Some("256")));
        assert!(!truecolor_supported(None));
    }

    #[test]
    fn sixteen_colour_mapping() {
        assert_eq!(nearest_ansi16(Color::Rgb(250, 10, 10)), Color::LightRed);
        assert_eq!(nearest_ansi16(Color::Indexed(2)), Color::Green);
        assert_eq!(nearest_ansi16(Color::Indexed(240)), Color::DarkGray);
        assert_eq!(nearest_ansi16(Color::Indexed(196)), Color::LightRed);
        assert_eq!(nearest_ansi16(Color::Cyan), Color::Cyan);
        let t = Theme::default().to_16_colors();
        t.clone().for_each_style_mut(&mut |s| {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(_)), "{c:?}");
            }
        });
    }
}
