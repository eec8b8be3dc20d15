//! Inline text: styled spans, and greedy line breaking measured from the embedded fonts' glyph
//! advances. Words wider than the line are broken between characters, so no line is ever wider
//! than the width it was broken for.

use std::collections::BTreeSet;

use crate::report::style::fonts::{fonts, Face};

/// Inline style of a span of text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub italic: bool,
    pub code: bool,
    pub strike: bool,
    pub link: Option<String>,
}

impl Style {
    /// Whether the style draws something across its width (underline, strike, background), so
    /// a space next to it should not be drawn in it unless it sits between two of its words.
    fn decorated(&self) -> bool {
        self.code || self.strike || self.link.is_some()
    }
}

/// A run of text in one style. A `'\n'` in `text` is a hard line break.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

impl Span {
    /// Unstyled text.
    pub fn plain(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            style: Style::default(),
        }
    }
}

/// The plain text of some spans (hard breaks as spaces).
pub fn plain_text(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.replace('\n', " ")).collect()
}

/// How a block of text is set: size, base weight/slant, mono.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSpec {
    pub size: f64,
    pub bold: bool,
    pub italic: bool,
    pub mono: bool,
}

impl TextSpec {
    /// Regular sans at `size` points.
    pub fn new(size: f64) -> TextSpec {
        TextSpec {
            size,
            bold: false,
            italic: false,
            mono: false,
        }
    }

    fn face_and_size(&self, style: &Style) -> (Face, f64) {
        if self.mono {
            (Face::Mono, self.size)
        } else if style.code {
            (Face::Mono, self.size * 0.9)
        } else {
            (
                Face::Regular.styled(self.bold || style.bold, self.italic || style.italic),
                self.size,
            )
        }
    }
}

/// Text in one face, size and style, placed at `x` from the start of its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Frag {
    pub x: f64,
    pub width: f64,
    pub face: Face,
    pub size: f64,
    pub text: String,
    pub style: Style,
}

/// One broken line: its fragments and total width.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub frags: Vec<Frag>,
    pub width: f64,
}

impl Line {
    /// The line's text, fragments joined.
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.frags.iter().map(|f| f.text.as_str()).collect()
    }
}

#[derive(Debug, Clone)]
struct Piece {
    face: Face,
    size: f64,
    text: String,
    width: f64,
    style: Style,
}

#[derive(Debug, Clone)]
enum Token {
    Word(Vec<Piece>),
    Space,
    Break,
}

fn tokenize(spans: &[Span], spec: &TextSpec, missing: &mut BTreeSet<char>) -> Vec<Token> {
    let f = fonts();
    let mut tokens: Vec<Token> = Vec::new();
    let mut word: Vec<Piece> = Vec::new();
    fn flush(word: &mut Vec<Piece>, tokens: &mut Vec<Token>) {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    }
    for span in spans {
        let (face, size) = spec.face_and_size(&span.style);
        for (i, segment) in span.text.split('\n').enumerate() {
            if i > 0 {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Break);
            }
            for (run_face, run) in f.resolve(face, segment, missing) {
                for (j, part) in run.split(' ').enumerate() {
                    if j > 0 {
                        flush(&mut word, &mut tokens);
                        if !matches!(
                            tokens.last(),
                            Some(Token::Space) | Some(Token::Break) | None
                        ) {
                            tokens.push(Token::Space);
                        }
                    }
                    if part.is_empty() {
                        continue;
                    }
                    let width = f.width(run_face, part, size);
                    match word.last_mut() {
                        Some(p)
                            if p.face == run_face && p.size == size && p.style == span.style =>
                        {
                            p.text.push_str(part);
                            p.width += width;
                        }
                        _ => word.push(Piece {
                            face: run_face,
                            size,
                            text: part.to_string(),
                            width,
                            style: span.style.clone(),
                        }),
                    }
                }
            }
        }
    }
    flush(&mut word, &mut tokens);
    while matches!(tokens.last(), Some(Token::Space)) {
        tokens.pop();
    }
    tokens
}

/// Widest unbreakable word and the width of everything on one line (the widest hard-broken
/// segment), for table column sizing. Words longer than `word_cap` count as `word_cap`: they
/// will be broken between characters.
pub fn measure(spans: &[Span], spec: &TextSpec, word_cap: f64) -> (f64, f64) {
    let mut ignored = BTreeSet::new();
    let tokens = tokenize(spans, spec, &mut ignored);
    let f = fonts();
    let (mut min, mut max, mut cur) = (0.0f64, 0.0f64, 0.0f64);
    let mut last_face = (Face::Regular, spec.size);
    for t in &tokens {
        match t {
            Token::Word(pieces) => {
                let w: f64 = pieces.iter().map(|p| p.width).sum();
                min = min.max(w.min(word_cap));
                cur += w;
                if let Some(p) = pieces.last() {
                    last_face = (p.face, p.size);
                }
            }
            Token::Space => cur += f.char_width(last_face.0, ' ', last_face.1),
            Token::Break => {
                max = max.max(cur);
                cur = 0.0;
            }
        }
    }
    (min, max.max(cur))
}

struct Breaker {
    width: f64,
    lines: Vec<Line>,
    cur: Line,
    /// A space is pending before the next word on the current line.
    space: bool,
}

impl Breaker {
    fn finish_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.cur));
        self.space = false;
    }

    fn space_width(&self) -> f64 {
        match self.cur.frags.last() {
            Some(last) => fonts().char_width(last.face, ' ', last.size),
            None => 0.0,
        }
    }

    /// Appends a piece to the current line, after the pending space if any.
    fn push_piece(&mut self, p: Piece, with_space: bool) {
        let f = fonts();
        let line = &mut self.cur;
        if with_space {
            if let Some(last) = line.frags.last_mut() {
                let same = last.face == p.face && last.size == p.size && last.style == p.style;
                let sw = f.char_width(last.face, ' ', last.size);
                if same {
                    last.text.push(' ');
                    last.text.push_str(&p.text);
                    last.width += sw + p.width;
                    line.width += sw + p.width;
                    return;
                } else if !last.style.decorated() {
                    last.text.push(' ');
                    last.width += sw;
                    line.width += sw;
                } else if !p.style.decorated() {
                    let sw = f.char_width(p.face, ' ', p.size);
                    line.frags.push(Frag {
                        x: line.width,
                        width: sw + p.width,
                        face: p.face,
                        size: p.size,
                        text: format!(" {}", p.text),
                        style: p.style,
                    });
                    line.width += sw + p.width;
                    return;
                } else {
                    let sw = f.char_width(Face::Regular, ' ', p.size);
                    line.frags.push(Frag {
                        x: line.width,
                        width: sw,
                        face: Face::Regular,
                        size: p.size,
                        text: " ".into(),
                        style: Style::default(),
                    });
                    line.width += sw;
                }
            }
        } else if let Some(last) = line.frags.last_mut() {
            if last.face == p.face && last.size == p.size && last.style == p.style {
                last.text.push_str(&p.text);
                last.width += p.width;
                line.width += p.width;
                return;
            }
        }
        line.frags.push(Frag {
            x: line.width,
            width: p.width,
            face: p.face,
            size: p.size,
            text: p.text,
            style: p.style,
        });
        line.width += p.width;
    }

    fn push_word(&mut self, pieces: Vec<Piece>) {
        let word_width: f64 = pieces.iter().map(|p| p.width).sum();
        if !self.cur.frags.is_empty() {
            let sw = if self.space { self.space_width() } else { 0.0 };
            if self.cur.width + sw + word_width <= self.width + 1e-6 {
                let space = self.space;
                for (i, p) in pieces.into_iter().enumerate() {
                    self.push_piece(p, space && i == 0);
                }
                self.space = false;
                return;
            }
            self.finish_line();
        }
        if word_width <= self.width + 1e-6 {
            for p in pieces {
                self.push_piece(p, false);
            }
            return;
        }
        // A word wider than the whole line: break it between characters.
        let f = fonts();
        for p in pieces {
            let mut chunk = String::new();
            let mut chunk_w = 0.0;
            for c in p.text.chars() {
                let cw = f.char_width(p.face, c, p.size);
                if self.cur.width + chunk_w + cw > self.width + 1e-6
                    && (chunk_w > 0.0 || !self.cur.frags.is_empty())
                {
                    if !chunk.is_empty() {
                        self.push_piece(
                            Piece {
                                text: std::mem::take(&mut chunk),
                                width: chunk_w,
                                ..p.clone()
                            },
                            false,
                        );
                    }
                    chunk_w = 0.0;
                    self.finish_line();
                }
                chunk.push(c);
                chunk_w += cw;
            }
            if !chunk.is_empty() {
                self.push_piece(
                    Piece {
                        text: chunk,
                        width: chunk_w,
                        ..p.clone()
                    },
                    false,
                );
            }
        }
    }
}

/// Breaks spans into lines no wider than `width`. Characters the fonts lack are replaced and
/// recorded in `missing`. Always returns at least one line (possibly empty).
pub fn break_lines(
    spans: &[Span],
    spec: &TextSpec,
    width: f64,
    missing: &mut BTreeSet<char>,
) -> Vec<Line> {
    let tokens = tokenize(spans, spec, missing);
    let mut b = Breaker {
        width: width.max(1.0),
        lines: Vec::new(),
        cur: Line::default(),
        space: false,
    };
    for t in tokens {
        match t {
            Token::Word(pieces) => b.push_word(pieces),
            Token::Space => b.space = !b.cur.frags.is_empty(),
            Token::Break => b.finish_line(),
        }
    }
    if !b.cur.frags.is_empty() || b.lines.is_empty() {
        b.finish_line();
    }
    b.lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<Span> {
        vec![Span::plain(text)]
    }

    #[test]
    fn lines_never_exceed_width() {
        let text = "First-class customers buy more, more often and at better prices; they rarely \
                    fight on price and usually bring more than half of the revenue. \
                    Supercalifragilisticexpialidocious-and-then-some-unbreakable-token-here ok.";
        let mut missing = BTreeSet::new();
        for width in [40.0, 61.5, 90.0, 150.0, 300.0, 453.5] {
            for size in [7.5, 9.5, 14.0] {
                let lines = break_lines(&spans(text), &TextSpec::new(size), width, &mut missing);
                for line in &lines {
                    let measured: f64 = line
                        .frags
                        .iter()
                        .map(|f| fonts().width(f.face, &f.text, f.size))
                        .sum();
                    assert!((measured - line.width).abs() < 1e-6, "width bookkeeping");
                    assert!(
                        line.width <= width + 1e-6,
                        "{} > {width}: {:?}",
                        line.width,
                        line.text()
                    );
                }
                let joined: String = lines.iter().map(|l| l.text()).collect::<Vec<_>>().join(" ");
                let squashed = |s: &str| s.replace(' ', "");
                assert_eq!(squashed(&joined), squashed(text), "no text lost");
            }
        }
        assert!(missing.is_empty());
    }

    #[test]
    fn greedy_fills_lines() {
        let mut missing = BTreeSet::new();
        let spec = TextSpec::new(10.0);
        let one = fonts().width(Face::Regular, "aaa aaa", 10.0);
        let lines = break_lines(&spans("aaa aaa aaa aaa"), &spec, one + 0.01, &mut missing);
        assert_eq!(
            lines.iter().map(|l| l.text()).collect::<Vec<_>>(),
            vec!["aaa aaa", "aaa aaa"]
        );
    }

    #[test]
    fn styles_make_separate_fragments_and_keep_spaces() {
        let mut missing = BTreeSet::new();
        let input = vec![
            Span::plain("Revenue of "),
            Span {
                text: "First class".into(),
                style: Style {
                    bold: true,
                    ..Style::default()
                },
            },
            Span::plain(" rose, see "),
            Span {
                text: "the data".into(),
                style: Style {
                    link: Some("https://example.com".into()),
                    ..Style::default()
                },
            },
            Span::plain("."),
        ];
        let lines = break_lines(&input, &TextSpec::new(10.0), 1000.0, &mut missing);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].text(),
            "Revenue of First class rose, see the data."
        );
        let faces: Vec<Face> = lines[0].frags.iter().map(|f| f.face).collect();
        assert!(faces.contains(&Face::Bold));
        let link = lines[0]
            .frags
            .iter()
            .find(|f| f.style.link.is_some())
            .unwrap();
        assert_eq!(link.text, "the data");
    }

    #[test]
    fn hard_breaks_and_missing_glyphs() {
        let mut missing = BTreeSet::new();
        let lines = break_lines(
            &spans("one\ntwo \u{4E2D} three"),
            &TextSpec::new(10.0),
            500.0,
            &mut missing,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].text(), "two \u{FFFD} three");
        assert!(missing.contains(&'\u{4E2D}'));
    }

    #[test]
    fn measure_gives_min_and_max() {
        let spec = TextSpec::new(10.0);
        let (min, max) = measure(&spans("aa bbbb c"), &spec, 1000.0);
        let f = fonts();
        assert!((min - f.width(Face::Regular, "bbbb", 10.0)).abs() < 1e-9);
        assert!((max - f.width(Face::Regular, "aa bbbb c", 10.0)).abs() < 1e-9);
        let (min, _) = measure(&spans("averyveryverylongword"), &spec, 30.0);
        assert_eq!(min, 30.0);
    }
}
