//! Page furniture: the title page, and the running header and footer of every body page (client,
//! title, as-of date, date of issue, DRAFT and classification markings, page numbers).

use std::collections::BTreeSet;

use printpdf::Op;

use super::frontmatter::FrontMatter;
use super::layout::{emit, fit_text, line_cmds, Cmd, Geometry};
use super::paint;
use super::table::column_widths;
use super::text::{break_lines, measure, Span, TextSpec};
use crate::report::format::date;
use crate::report::style::fonts::Face;
use crate::report::style::palette::{INK, LIGHT, MID, MUTED, NAVY};

/// Draws the running header (client, title) and footer (dates, marking, page number) of body
/// page `page_no` of `page_count`.
pub(super) fn running_header_footer(
    ops: &mut Vec<Op>,
    geo: &Geometry,
    fm: &FrontMatter,
    page_no: usize,
    page_count: usize,
    missing: &mut BTreeSet<char>,
) {
    let size = 7.5;
    let tw = geo.text_width();
    let y_head = geo.page_h - (geo.top - 26.0);
    let client = fit_text(&fm.client, Face::Bold, size, tw * 0.45);
    paint::text_resolved(
        ops,
        geo.left,
        y_head,
        Face::Bold,
        size,
        MUTED,
        &client,
        missing,
    );
    let title = fit_text(&fm.title, Face::Regular, size, tw * 0.5);
    let w = paint::resolved_width(Face::Regular, size, &title);
    paint::text_resolved(
        ops,
        geo.left + tw - w,
        y_head,
        Face::Regular,
        size,
        MUTED,
        &title,
        missing,
    );
    paint::line(
        ops,
        geo.left,
        y_head - 6.0,
        geo.left + tw,
        y_head - 6.0,
        LIGHT,
        0.6,
    );

    let y_foot = geo.bottom - 34.0;
    let footer = format!("Page {page_no} of {page_count}");
    let w = paint::resolved_width(Face::Regular, size, &footer);
    paint::text_resolved(
        ops,
        geo.left + tw - w,
        y_foot,
        Face::Regular,
        size,
        MUTED,
        &footer,
        missing,
    );
    let dates = match &fm.issued {
        Some(issued) => format!("As of {} \u{b7} Issued {}", date(&fm.as_of), date(issued)),
        None => format!("As of {}", date(&fm.as_of)),
    };
    let left = fit_text(&dates, Face::Regular, size, tw * 0.4);
    paint::text_resolved(
        ops,
        geo.left,
        y_foot,
        Face::Regular,
        size,
        MUTED,
        &left,
        missing,
    );
    // DRAFT and the classification, centred in bold between the dates and the page number.
    if let Some(marking) = fm.marking() {
        let text = fit_text(&marking, Face::Bold, size, tw * 0.34);
        let w = paint::resolved_width(Face::Bold, size, &text);
        paint::text_resolved(
            ops,
            geo.left + (tw - w) / 2.0,
            y_foot,
            Face::Bold,
            size,
            NAVY,
            &text,
            missing,
        );
    }
}

/// The title page.
pub(super) fn title_page_ops(
    geo: &Geometry,
    fm: &FrontMatter,
    missing: &mut BTreeSet<char>,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let tw = geo.text_width();
    let left = geo.left;
    // A navy band across the top edge and a thin accent line under it.
    paint::rect(
        &mut ops,
        0.0,
        geo.page_h - 14.0,
        geo.page_w,
        14.0,
        Some(NAVY),
        None,
    );
    paint::rect(
        &mut ops,
        0.0,
        geo.page_h - 17.0,
        geo.page_w,
        3.0,
        Some(MID),
        None,
    );

    let mut cmds: Vec<Cmd> = Vec::new();
    let mut y = geo.page_h * 0.26;
    // DRAFT and the classification, above everything else.
    if let Some(marking) = fm.marking() {
        let spec = TextSpec {
            bold: true,
            ..TextSpec::new(9.0)
        };
        for line in break_lines(&[Span::plain(marking.to_uppercase())], &spec, tw, missing) {
            cmds.extend(line_cmds(&line, 0.0, y - 40.0, NAVY));
        }
    }
    // Client, small and upper-case, above the title.
    let client_spec = TextSpec {
        bold: true,
        ..TextSpec::new(10.5)
    };
    for line in break_lines(
        &[Span::plain(fm.client.to_uppercase())],
        &client_spec,
        tw,
        missing,
    ) {
        cmds.extend(line_cmds(&line, 0.0, y, MID));
        y += 15.0;
    }
    y += 14.0;
    let title_spec = TextSpec {
        bold: true,
        ..TextSpec::new(28.0)
    };
    for line in break_lines(&[Span::plain(fm.title.clone())], &title_spec, tw, missing) {
        y += 26.0;
        cmds.extend(line_cmds(&line, 0.0, y, NAVY));
        y += 8.0;
    }
    if let Some(sub) = &fm.subtitle {
        y += 10.0;
        for line in break_lines(
            &[Span::plain(sub.clone())],
            &TextSpec::new(14.0),
            tw,
            missing,
        ) {
            y += 14.0;
            cmds.extend(line_cmds(&line, 0.0, y, MUTED));
            y += 6.0;
        }
    }
    y += 18.0;
    cmds.push(Cmd::Rect {
        x: 0.0,
        y,
        w: 64.0,
        h: 3.0,
        fill: Some(MID),
        stroke: None,
    });

    // Who, when, by whom: three columns of label over value, near the foot of the page.
    let (as_of, issued) = (date(&fm.as_of), date(fm.issued.as_deref().unwrap_or("")));
    let rows: Vec<(&str, &str)> = [
        ("PREPARED FOR", fm.client.as_str()),
        ("AS OF", as_of.as_str()),
        ("ISSUED", issued.as_str()),
        ("VERSION", fm.version().unwrap_or("")),
        ("PREPARED BY", fm.prepared_by.as_str()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    let y0 = geo.page_h - geo.bottom - 90.0;
    cmds.push(Cmd::Line {
        x1: 0.0,
        y1: y0 - 22.0,
        x2: tw,
        y2: y0 - 22.0,
        color: NAVY,
        width: 0.8,
    });
    let value_spec = TextSpec::new(11.0);
    let label_spec = TextSpec {
        bold: true,
        ..TextSpec::new(7.5)
    };
    let (mins, maxs): (Vec<f64>, Vec<f64>) = rows
        .iter()
        .map(|(label, value)| {
            let (lo, hi) = measure(&[Span::plain(*value)], &value_spec, tw / 3.0);
            let (_, label_w) = measure(&[Span::plain(*label)], &label_spec, tw);
            (lo.max(label_w) + 24.0, hi.max(label_w) + 24.0)
        })
        .unzip();
    let widths = column_widths(&mins, &maxs, tw);
    let mut x = 0.0;
    for (i, (label, value)) in rows.iter().enumerate() {
        let col_w = widths[i];
        for line in break_lines(&[Span::plain(*label)], &label_spec, col_w - 24.0, missing)
            .iter()
            .take(1)
        {
            cmds.extend(line_cmds(line, x, y0, MUTED));
        }
        let mut y = y0 + 17.0;
        for line in break_lines(&[Span::plain(*value)], &value_spec, col_w - 24.0, missing) {
            cmds.extend(line_cmds(&line, x, y, INK));
            y += 14.5;
        }
        x += col_w;
    }
    emit(&mut ops, &cmds, left, 0.0, geo.page_h, missing);
    ops
}
