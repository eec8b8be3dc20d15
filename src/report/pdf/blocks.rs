//! Markdown (pulldown-cmark events) -> a list of blocks with styled inline spans.

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::text::{Span, Style};

/// Column alignment of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Not given in the Markdown: numbers right, text left.
    Auto,
    Left,
    Center,
    Right,
}

/// A block-level element of the report body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// `#` to `######`.
    Heading {
        /// 1 to 6.
        level: u8,
        spans: Vec<Span>,
    },
    Paragraph(Vec<Span>),
    Quote(Vec<Block>),
    Code(String),
    /// A bullet list, or a numbered one when `start` is given.
    List {
        /// First number of an ordered list.
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Table {
        aligns: Vec<Align>,
        head: Vec<Vec<Span>>,
        rows: Vec<Vec<Vec<Span>>>,
    },
    /// An image; `charts/NAME.svg` draws a chart, anything else a placeholder.
    Image {
        url: String,
        alt: String,
    },
    Rule,
}

enum Container {
    Root(Vec<Block>),
    Quote(Vec<Block>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>),
}

#[derive(Clone, Copy, PartialEq)]
enum InlineTarget {
    Paragraph,
    Heading(u8),
    Cell,
}

struct TableBuild {
    aligns: Vec<Align>,
    head: Vec<Vec<Span>>,
    rows: Vec<Vec<Vec<Span>>>,
    row: Vec<Vec<Span>>,
}

struct Builder {
    stack: Vec<Container>,
    inline: Vec<Span>,
    target: Option<InlineTarget>,
    bold: u32,
    italic: u32,
    strike: u32,
    links: Vec<String>,
    image: Option<(String, String)>,
    code: Option<String>,
    table: Option<TableBuild>,
    warnings: Vec<String>,
}

impl Builder {
    fn blocks_mut(&mut self) -> &mut Vec<Block> {
        match self.stack.last_mut().expect("root container") {
            Container::Root(b) | Container::Quote(b) | Container::Item(b) => b,
            Container::List { items, .. } => {
                // Content directly in a list (should not happen): start an item for it.
                items.push(Vec::new());
                items.last_mut().expect("just pushed")
            }
        }
    }

    fn push_block(&mut self, block: Block) {
        self.blocks_mut().push(block);
    }

    fn style(&self) -> Style {
        Style {
            bold: self.bold > 0,
            italic: self.italic > 0,
            code: false,
            strike: self.strike > 0,
            link: self.links.last().cloned(),
        }
    }

    fn push_text(&mut self, text: &str, style: Style) {
        if self.target.is_none() {
            // Text straight inside a list item (tight list): an implicit paragraph.
            self.target = Some(InlineTarget::Paragraph);
        }
        match self.inline.last_mut() {
            Some(last) if last.style == style => last.text.push_str(text),
            _ => self.inline.push(Span {
                text: text.to_string(),
                style,
            }),
        }
    }

    /// Ends the paragraph or heading being collected, if any.
    fn flush_inline(&mut self) {
        let spans = std::mem::take(&mut self.inline);
        match self.target.take() {
            Some(InlineTarget::Paragraph) if spans.iter().any(|s| !s.text.trim().is_empty()) => {
                self.push_block(Block::Paragraph(trim_spans(spans)));
            }
            Some(InlineTarget::Paragraph) => {}
            Some(InlineTarget::Heading(level)) => {
                self.push_block(Block::Heading {
                    level,
                    spans: trim_spans(spans),
                });
            }
            Some(InlineTarget::Cell) => {
                self.target = Some(InlineTarget::Cell);
                self.inline = spans;
            }
            None => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.flush_inline();
                self.target = Some(InlineTarget::Paragraph);
            }
            Tag::Heading { level, .. } => {
                self.flush_inline();
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                self.target = Some(InlineTarget::Heading(level));
            }
            Tag::BlockQuote(_) => {
                self.flush_inline();
                self.stack.push(Container::Quote(Vec::new()));
            }
            Tag::CodeBlock(_) => {
                self.flush_inline();
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.flush_inline();
                self.stack.push(Container::List {
                    start,
                    items: Vec::new(),
                });
            }
            Tag::Item => {
                self.flush_inline();
                self.stack.push(Container::Item(Vec::new()));
            }
            Tag::Table(aligns) => {
                self.flush_inline();
                self.table = Some(TableBuild {
                    aligns: aligns
                        .iter()
                        .map(|a| match a {
                            Alignment::None => Align::Auto,
                            Alignment::Left => Align::Left,
                            Alignment::Center => Align::Center,
                            Alignment::Right => Align::Right,
                        })
                        .collect(),
                    head: Vec::new(),
                    rows: Vec::new(),
                    row: Vec::new(),
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    t.row.clear();
                }
            }
            Tag::TableCell => {
                self.inline.clear();
                self.target = Some(InlineTarget::Cell);
            }
            Tag::Emphasis => self.italic += 1,
            Tag::Strong => self.bold += 1,
            Tag::Strikethrough => self.strike += 1,
            Tag::Link { dest_url, .. } => self.links.push(dest_url.to_string()),
            Tag::Image { dest_url, .. } => self.image = Some((dest_url.to_string(), String::new())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.flush_inline(),
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                if let Some(Container::Quote(blocks)) = self.stack.pop() {
                    self.push_block(Block::Quote(blocks));
                }
            }
            TagEnd::CodeBlock => {
                if let Some(mut code) = self.code.take() {
                    while code.ends_with('\n') {
                        code.pop();
                    }
                    self.push_block(Block::Code(code));
                }
            }
            TagEnd::Item => {
                self.flush_inline();
                if let Some(Container::Item(blocks)) = self.stack.pop() {
                    if let Some(Container::List { items, .. }) = self.stack.last_mut() {
                        items.push(blocks);
                    }
                }
            }
            TagEnd::List(_) => {
                self.flush_inline();
                if let Some(Container::List { start, items }) = self.stack.pop() {
                    self.push_block(Block::List { start, items });
                }
            }
            TagEnd::TableCell => {
                let spans = trim_spans(std::mem::take(&mut self.inline));
                self.target = None;
                if let Some(t) = self.table.as_mut() {
                    t.row.push(spans);
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = self.table.as_mut() {
                    t.head = std::mem::take(&mut t.row);
                }
            }
            TagEnd::TableRow => {
                if let Some(t) = self.table.as_mut() {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.push_block(Block::Table {
                        aligns: t.aligns,
                        head: t.head,
                        rows: t.rows,
                    });
                }
            }
            TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
            TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
            TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
            TagEnd::Link => {
                self.links.pop();
            }
            TagEnd::Image => {
                if let Some((url, alt)) = self.image.take() {
                    match self.target {
                        Some(InlineTarget::Cell) | Some(InlineTarget::Heading(_)) => {
                            // No room for a figure here: show the alt text.
                            let style = Style {
                                italic: true,
                                ..self.style()
                            };
                            self.push_text(&alt, style);
                        }
                        _ => {
                            // A figure is a block of its own: end the paragraph around it.
                            let resume = self.target.is_some();
                            self.flush_inline();
                            self.push_block(Block::Image {
                                url,
                                alt: alt.trim().to_string(),
                            });
                            if resume {
                                self.target = Some(InlineTarget::Paragraph);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = self.code.as_mut() {
                    code.push_str(&text);
                } else if let Some((_, alt)) = self.image.as_mut() {
                    alt.push_str(&text);
                } else {
                    let style = self.style();
                    self.push_text(&text, style);
                }
            }
            Event::Code(text) => {
                if let Some((_, alt)) = self.image.as_mut() {
                    alt.push_str(&text);
                } else {
                    let style = Style {
                        code: true,
                        ..self.style()
                    };
                    self.push_text(&text, style);
                }
            }
            Event::SoftBreak => {
                if let Some((_, alt)) = self.image.as_mut() {
                    alt.push(' ');
                } else {
                    let style = self.style();
                    self.push_text(" ", style);
                }
            }
            Event::HardBreak => {
                let style = self.style();
                self.push_text("\n", style);
            }
            Event::Rule => {
                self.flush_inline();
                self.push_block(Block::Rule);
            }
            Event::TaskListMarker(done) => {
                let style = self.style();
                self.push_text(if done { "\u{2611} " } else { "\u{2610} " }, style);
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let h = html.trim();
                if h.eq_ignore_ascii_case("<br>")
                    || h.eq_ignore_ascii_case("<br/>")
                    || h.eq_ignore_ascii_case("<br />")
                {
                    let style = self.style();
                    self.push_text("\n", style);
                } else if !h.is_empty() && !h.starts_with("<!--") {
                    let shown: String = h.chars().take(40).collect();
                    self.warnings
                        .push(format!("HTML is not rendered in the PDF: {shown}"));
                }
            }
            _ => {}
        }
    }
}

/// Removes leading/trailing whitespace of a span list (keeps inner spacing).
fn trim_spans(mut spans: Vec<Span>) -> Vec<Span> {
    while let Some(first) = spans.first_mut() {
        let t = first.text.trim_start_matches([' ', '\n']).to_string();
        if t.is_empty() {
            spans.remove(0);
        } else {
            first.text = t;
            break;
        }
    }
    while let Some(last) = spans.last_mut() {
        let t = last.text.trim_end_matches([' ', '\n']).to_string();
        if t.is_empty() {
            spans.pop();
        } else {
            last.text = t;
            break;
        }
    }
    spans
}

/// Parses Markdown (without front matter) into blocks; also returns warnings.
pub fn parse(markdown: &str) -> (Vec<Block>, Vec<String>) {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut b = Builder {
        stack: vec![Container::Root(Vec::new())],
        inline: Vec::new(),
        target: None,
        bold: 0,
        italic: 0,
        strike: 0,
        links: Vec::new(),
        image: None,
        code: None,
        table: None,
        warnings: Vec::new(),
    };
    for event in Parser::new_ext(markdown, options) {
        b.event(event);
    }
    b.flush_inline();
    while b.stack.len() > 1 {
        match b.stack.pop() {
            Some(Container::Quote(blocks)) => b.push_block(Block::Quote(blocks)),
            Some(Container::List { start, items }) => b.push_block(Block::List { start, items }),
            Some(Container::Item(blocks)) => {
                if let Some(Container::List { items, .. }) = b.stack.last_mut() {
                    items.push(blocks);
                }
            }
            _ => {}
        }
    }
    let blocks = match b.stack.pop() {
        Some(Container::Root(blocks)) => blocks,
        _ => Vec::new(),
    };
    (blocks, b.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pdf::text::plain_text;

    #[test]
    fn headings_paragraphs_and_styles() {
        let (blocks, _) =
            parse("# Title\n\nSome **bold** and *italic* `code` [link](https://x.y).\n");
        assert_eq!(blocks.len(), 2);
        match &blocks[1] {
            Block::Paragraph(spans) => {
                assert_eq!(plain_text(spans), "Some bold and italic code link.");
                assert!(spans.iter().any(|s| s.style.bold && s.text == "bold"));
                assert!(spans.iter().any(|s| s.style.code && s.text == "code"));
                assert!(spans
                    .iter()
                    .any(|s| s.style.link.as_deref() == Some("https://x.y")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nested_lists_quotes_code_tables_images() {
        let md = "- one\n  - nested\n- two\n\n1. first\n2. second\n\n> quoted\n\n```\nlet x = 1;\n```\n\n| A | B |\n|---|--:|\n| x | $1 |\n\n![Concentration](charts/pareto.svg)\n\n---\n";
        let (blocks, _) = parse(md);
        let kinds: Vec<&str> = blocks
            .iter()
            .map(|b| match b {
                Block::List { start: None, .. } => "ul",
                Block::List { start: Some(_), .. } => "ol",
                Block::Quote(_) => "quote",
                Block::Code(_) => "code",
                Block::Table { .. } => "table",
                Block::Image { .. } => "image",
                Block::Rule => "rule",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            vec!["ul", "ol", "quote", "code", "table", "image", "rule"]
        );
        if let Block::List { items, .. } = &blocks[0] {
            assert_eq!(items.len(), 2);
            assert!(matches!(items[0][1], Block::List { .. }), "{:?}", items[0]);
        }
        if let Block::Table { aligns, head, rows } = &blocks[4] {
            assert_eq!(aligns, &vec![Align::Auto, Align::Right]);
            assert_eq!(plain_text(&head[1]), "B");
            assert_eq!(plain_text(&rows[0][1]), "$1");
        }
        assert_eq!(
            blocks[5],
            Block::Image {
                url: "charts/pareto.svg".into(),
                alt: "Concentration".into()
            }
        );
    }
}
