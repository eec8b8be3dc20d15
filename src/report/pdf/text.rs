//! Inline text: styled spans, and greedy line breaking measured from the embedded fonts' glyph
//! advances. Lines break between words; a word wider than the whole line is hyphenated (a number,
//! date or identifier is cut without a hyphen, as a last resort), so no line is ever wider than
//! the width it was broken for.

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

/// The fewest characters a hyphenated word leaves on a line of its own.
const MIN_PART: usize = 3;

/// Whether a word must never be broken between characters: it holds a digit, so it is a number,
/// a money amount, a percentage, a date or an identifier ("1,000,000", "€4,044,989", "+50%",
/// "1998-06-30", "00046").
pub fn is_atomic(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
}

/// Widest unbreakable word and the width of everything on one line (the widest hard-broken
/// segment), for sizing. Words wider than `word_cap` count as `word_cap`: they will be broken.
pub fn measure(spans: &[Span], spec: &TextSpec, word_cap: f64) -> (f64, f64) {
    measure_with(spans, spec, |_, w, _| w.min(word_cap))
}

/// As [`measure`], for table cells: a number, date or money amount ([`is_atomic`]) counts at its
/// whole width; a word of more than `max_chars` characters counts as its first `max_chars`
/// characters and a hyphen, since [`break_lines`] hyphenates it.
pub fn measure_words(spans: &[Span], spec: &TextSpec, max_chars: usize) -> (f64, f64) {
    let hyphen = fonts().char_width(Face::Regular, '-', spec.size);
    measure_with(spans, spec, |text, w, chars| {
        if chars <= max_chars || is_atomic(text) {
            w
        } else {
            w * max_chars as f64 / chars as f64 + hyphen
        }
    })
}

/// The minimum (largest `word_min(text, width, chars)` over the words) and the natural width.
fn measure_with(
    spans: &[Span],
    spec: &TextSpec,
    word_min: impl Fn(&str, f64, usize) -> f64,
) -> (f64, f64) {
    let mut ignored = BTreeSet::new();
    let tokens = tokenize(spans, spec, &mut ignored);
    let f = fonts();
    let (mut min, mut max, mut cur) = (0.0f64, 0.0f64, 0.0f64);
    let mut last_face = (Face::Regular, spec.size);
    for t in &tokens {
        match t {
            Token::Word(pieces) => {
                let w: f64 = pieces.iter().map(|p| p.width).sum();
                let word_min = match pieces.as_slice() {
                    [p] => word_min(&p.text, w, p.text.chars().count()),
                    _ => {
                        let text: String = pieces.iter().map(|p| p.text.as_str()).collect();
                        word_min(&text, w, text.chars().count())
                    }
                };
                min = min.max(word_min);
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
        // A word wider than the whole line: break it between characters, with a hyphen after
        // each part of a word (a number, date or identifier gets none: it should never get
        // here, as table columns are at least as wide as their widest number).
        let hyphenate = !pieces
            .iter()
            .any(|p| is_atomic(&p.text) || p.style.code || p.style.link.is_some());
        let f = fonts();
        for p in pieces {
            let hyphen_w = if hyphenate {
                f.char_width(p.face, '-', p.size)
            } else {
                0.0
            };
            let chars: Vec<(char, f64)> = p
                .text
                .chars()
                .map(|c| (c, f.char_width(p.face, c, p.size)))
                .collect();
            let n = chars.len();
            let hyphen_after =
                |k: usize| hyphenate && k > 0 && k < n && chars[k - 1].0.is_alphabetic();
            let (mut start, mut i, mut chunk_w) = (0, 0, 0.0);
            while i < n {
                let cw = chars[i].1;
                // Room for a hyphen after this character, unless it ends the word.
                let room = if hyphen_after(i + 1) { hyphen_w } else { 0.0 };
                if self.cur.width + chunk_w + cw + room <= self.width + 1e-6
                    || (i == start && self.cur.frags.is_empty())
                {
                    chunk_w += cw;
                    i += 1;
                    continue;
                }
                // Break before character `i`, or earlier so no part is shorter than
                // MIN_PART characters.
                let mut end = i;
                if hyphenate && i > start && n - end < MIN_PART {
                    end = end.saturating_sub(MIN_PART - (n - end)).max(start + 1);
                }
                if end > start {
                    let mut text: String = chars[start..end].iter().map(|&(c, _)| c).collect();
                    let mut width: f64 = chars[start..end].iter().map(|&(_, w)| w).sum();
                    if hyphen_after(end) {
                        text.push('-');
                        width += hyphen_w;
                    }
                    self.push_piece(
                        Piece {
                            text,
                            width,
                            ..p.clone()
                        },
                        false,
                    );
                }
                self.finish_line();
                start = end;
                i = end;
                chunk_w = 0.0;
            }
            if start < n {
                self.push_piece(
                    Piece {
                        text: chars[start..].iter().map(|&(c, _)| c).collect(),
                        width: chars[start..].iter().map(|&(_, w)| w).sum(),
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
                // Breaks add hyphens and nothing else.
                let squashed = |s: &str| s.replace([' ', '-'], "");
                assert_eq!(squashed(&joined), squashed(text), "no text lost");
            }
        }
        assert!(missing.is_empty());
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(Line::text).collect()
    }

    #[test]
    fn long_words_are_hyphenated_and_numbers_are_not() {
        let mut missing = BTreeSet::new();
        let spec = TextSpec::new(10.0);
        let f = fonts();
        let word = "Gelegenheitskunden";
        let width = f.width(Face::Regular, "Gelegenheits-", 10.0) + 0.01;
        let lines = break_lines(&spans(word), &spec, width, &mut missing);
        assert_eq!(texts(&lines), vec!["Gelegenheits-", "kunden"]);
        // No part shorter than three characters: "Developmen-t" becomes "Developm-ent".
        let width = f.width(Face::Regular, "Developmen-", 10.0) + 0.01;
        let lines = break_lines(&spans("Development"), &spec, width, &mut missing);
        let parts = texts(&lines);
        assert_eq!(parts.concat().replace('-', ""), "Development");
        assert!(
            parts
                .iter()
                .all(|p| p.trim_end_matches('-').chars().count() >= 3),
            "{parts:?}"
        );
        assert!(parts[0].ends_with('-'));
        // A number too wide for the line is cut as a last resort, without a hyphen.
        let width = f.width(Face::Regular, "1,000,0", 10.0) + 0.01;
        let lines = break_lines(&spans("1,000,000"), &spec, width, &mut missing);
        assert_eq!(texts(&lines).concat(), "1,000,000");
        assert!(is_atomic("€4,044,989") && is_atomic("+50%") && is_atomic("1998-06-30"));
        assert!(!is_atomic("Revenue"));
    }

    #[test]
    fn measure_words_keeps_numbers_whole_and_caps_long_words() {
        let spec = TextSpec::new(10.0);
        let f = fonts();
        let number = "$1,234,567.89";
        let (min, _) = measure_words(&spans(number), &spec, 3);
        assert!((min - f.width(Face::Regular, number, 10.0)).abs() < 1e-9);
        let (min, max) = measure_words(&spans("Gelegenheitskunden Nord"), &spec, 18);
        assert!((min - f.width(Face::Regular, "Gelegenheitskunden", 10.0)).abs() < 1e-9);
        assert!((max - f.width(Face::Regular, "Gelegenheitskunden Nord", 10.0)).abs() < 1e-9);
        let (capped, _) = measure_words(&spans("Gelegenheitskunden"), &spec, 9);
        assert!(
            capped < min * 0.6 && capped > min * 0.4,
            "{capped} vs {min}"
        );
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
