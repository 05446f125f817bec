//! The one way anything reaches a page: [`Html`], a buffer that escapes.
//!
//! **In:** markup, from string literals only, and values to put into it. **Out:** a fragment of HTML or
//! SVG in which every value is escaped.
//!
//! A fragment grows three ways, and only these:
//! - [`Html::raw`] takes markup as a `&'static str`: it is written by us, in this crate, never read from a
//!   report.
//! - [`put!`] and [`markup!`] take a format string that must be a literal — it goes through `concat!`, so
//!   `format_args!` refuses implicit captures like `{name}` that would skip the escaping — and pass every
//!   argument through [`Piece`]: text (`str`, `String`) is escaped (`& < > " '`), numbers print as
//!   `Display` prints them (width and precision apply), and an [`Html`] fragment, escaped when it was
//!   built, is copied as it is.
//! - [`Html::text`] escapes.
//!
//! There is no way to turn a `String` into [`Html`] without escaping it, so a report's strings (corpus
//! names, paths, sha256 fields, warnings) cannot open a tag, close an attribute or start a script,
//! whatever they hold.

use std::fmt::{self, Write as _};

/// HTML (or SVG) markup whose every piece of text was escaped when it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// An empty fragment.
    pub fn new() -> Html {
        Html(String::new())
    }

    /// Appends markup written in this crate. Only `&'static str`: a report's text cannot get here.
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Appends text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        let _ = Escaped(text).write_to(&mut self.0);
        self
    }

    /// Appends a fragment built (and escaped) earlier.
    pub fn append(&mut self, fragment: &Html) -> &mut Html {
        self.0.push_str(&fragment.0);
        self
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The finished markup.
    pub fn into_string(self) -> String {
        self.0
    }

    /// What [`put!`] expands to; call that instead, whose format string is a literal and whose arguments
    /// are all wrapped in [`Esc`].
    #[doc(hidden)]
    pub fn write_markup(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
    }
}

/// Something that can be put into a page: how it is written there.
pub trait Piece {
    /// Writes `self` into markup: text escaped, numbers as `Display` prints them with `f`'s width and
    /// precision, fragments as they are.
    fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl Piece for str {
    fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped(self).write_to(f)
    }
}

impl Piece for String {
    fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().put(f)
    }
}

impl Piece for Html {
    fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).put(f)
    }
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn put(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    )*};
}
numbers!(f64, u64, u32, usize, i64, i32);

/// A [`Piece`] seen through `Display`, for `format_args!`; [`put!`] wraps every argument in one.
#[doc(hidden)]
pub struct Esc<'a, T: ?Sized>(pub &'a T);

impl<T: Piece + ?Sized> fmt::Display for Esc<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.put(f)
    }
}

/// Text with `& < > " '` replaced by entities: safe in element content and in quoted attribute values,
/// of HTML and of SVG alike.
struct Escaped<'a>(&'a str);

impl Escaped<'_> {
    fn write_to(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            out.write_str(&rest[..i])?;
            // The delimiters are ASCII, so `i + 1` is the next char boundary.
            out.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        out.write_str(rest)
    }
}

/// Appends markup to an [`Html`]: `put!(html, "<td class=\"{}\">{:.3}</td>", class, value)`. The format
/// string must be a literal (implicit captures like `{x}` are refused); every argument is a [`Piece`], so
/// text is escaped.
macro_rules! put {
    ($html:expr, $markup:literal $(, $arg:expr)* $(,)?) => {
        $html.write_markup(format_args!(concat!($markup) $(, $crate::html::Esc(&$arg))*))
    };
}

/// A new [`Html`] fragment, written as by [`put!`].
macro_rules! markup {
    ($markup:literal $(, $arg:expr)* $(,)?) => {{
        let mut html = $crate::html::Html::new();
        $crate::html::put!(html, $markup $(, $arg)*);
        html
    }};
}

pub(crate) use {markup, put};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let name = String::from(r#"<script>alert("x & 'y'")</script>"#);
        let mut h = Html::new();
        h.raw("<p title=\"");
        h.text(&name);
        put!(h, "\">{} {:.2} {}</p>", name, 1.0f64 / 3.0, markup!("<b>{}</b>", "é<"));
        assert_eq!(
            h.into_string(),
            "<p title=\"&lt;script&gt;alert(&quot;x &amp; &#39;y&#39;&quot;)&lt;/script&gt;\">\
             &lt;script&gt;alert(&quot;x &amp; &#39;y&#39;&quot;)&lt;/script&gt; 0.33 <b>é&lt;</b></p>"
        );
    }

    #[test]
    fn non_ascii_passes_through_whole() {
        assert_eq!(markup!("{}", "aéé€𝄞<").into_string(), "aéé€𝄞&lt;");
    }
}
