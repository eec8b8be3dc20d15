//! Tests of the expression tree: parsing (precedence, spans, `if` chains, opaque fallbacks), the
//! names list against `scan.rs`, binding and evaluation (against Rhai, on hand-picked and on
//! random expressions), and threshold conditions.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rhai::{Dynamic, Engine, Scope, AST};

use super::*;
use crate::data::Day;
use crate::engine::sandbox::Populations;
use crate::engine::{convert, sandbox};
use crate::error::Origin;
use crate::metrics::{population, Column, CustomerTable, Kind, Origin as ColumnOrigin, EMPTY_INT};
use crate::workspace::ParamValue;

// ---------------------------------------------------------------------------------------------
// Helpers

/// The tree fully parenthesized, spans left out.
fn show(node: &Node) -> String {
    match node {
        Node::Lit { value, .. } => match value {
            Lit::Int(i) => i.to_string(),
            Lit::Float(f) => format!("{f:?}"),
            Lit::Bool(b) => b.to_string(),
            Lit::Str(s) => format!("{s:?}"),
        },
        Node::Name { name, .. } => name.clone(),
        Node::Population {
            function,
            metric,
            arg,
            ..
        } => match arg {
            Some(a) => format!("{}({metric:?}, {a:?})", function.name()),
            None => format!("{}({metric:?})", function.name()),
        },
        Node::Unary { op, operand, .. } => {
            let sym = if *op == UnOp::Not { "!" } else { "-" };
            format!("({sym}{})", show(operand))
        }
        Node::Binary {
            op, left, right, ..
        } => format!("({} {} {})", show(left), op.symbol(), show(right)),
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            let arms: Vec<String> = branches
                .iter()
                .map(|(c, r)| format!("if {} {{ {} }}", show(c), show(r)))
                .collect();
            let mut s = arms.join(" else ");
            if let Some(o) = otherwise {
                s += &format!(" else {{ {} }}", show(o));
            }
            s
        }
    }
}

fn tree_of(text: &str) -> Option<String> {
    parse(text).tree.as_ref().map(show)
}

/// The distinct names a tree reads, in order.
fn tree_names(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::Name { name, .. } => {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        Node::Lit { .. } | Node::Population { .. } => {}
        Node::Unary { operand, .. } => tree_names(operand, out),
        Node::Binary { left, right, .. } => {
            tree_names(left, out);
            tree_names(right, out);
        }
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            for (c, r) in branches {
                tree_names(c, out);
                tree_names(r, out);
            }
            if let Some(o) = otherwise {
                tree_names(o, out);
            }
        }
    }
}

fn names(text: &str) -> Vec<String> {
    parse(text).names.into_iter().map(|n| n.name).collect()
}

/// A value as both sides can give it.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Out {
    fn of(v: Val<'_>) -> Out {
        match v {
            Val::Int(i) => Out::Int(i),
            Val::Float(f) => Out::Float(f),
            Val::Bool(b) => Out::Bool(b),
            Val::Str(s) => Out::Str(s.to_string()),
        }
    }

    fn of_rhai(d: &Dynamic) -> Option<Out> {
        if let Ok(i) = d.as_int() {
            Some(Out::Int(i))
        } else if let Ok(f) = d.as_float() {
            Some(Out::Float(f))
        } else if let Ok(b) = d.as_bool() {
            Some(Out::Bool(b))
        } else {
            d.clone().into_string().ok().map(Out::Str)
        }
    }

    fn same(&self, other: &Out) -> bool {
        match (self, other) {
            (Out::Float(a), Out::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            _ => self == other,
        }
    }
}

/// A customer table, params and population figures, with the Rhai engine the policy would use.
struct World {
    table: CustomerTable,
    params: Vec<(String, ParamValue)>,
    populations: Arc<Populations>,
    engine: Engine,
}

impl World {
    fn new(columns: Vec<(&str, Column)>, params: Vec<(&str, ParamValue)>) -> World {
        let rows = columns[0].1.len();
        let mut table = CustomerTable {
            as_of: Day(0),
            ids: (0..rows).map(|i| format!("c{i:02}")).collect(),
            columns: Vec::new(),
        };
        for (name, column) in columns {
            table.push(name, ColumnOrigin::Derived, column);
        }
        let populations = Arc::new(Populations::default());
        for c in &table.columns {
            if !matches!(c.column, Column::Text(_) | Column::Date(_)) {
                populations.insert(&c.name, population::sorted_numbers(&c.column));
            }
        }
        let engine = sandbox::engine(populations.clone(), Arc::default(), Arc::default());
        World {
            table,
            params: params
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            populations,
            engine,
        }
    }

    fn names(&self) -> NameTable<'_> {
        NameTable {
            columns: &self.table.columns,
            params: &self.params,
            figures: self.populations.as_ref(),
        }
    }

    fn bind(&self, text: &str) -> Option<Bound> {
        bind(parse(text).tree.as_ref()?, &self.names())
    }

    fn scope(&self, row: usize) -> Scope<'static> {
        let mut scope = Scope::new();
        for c in &self.table.columns {
            scope.push_dynamic(c.name.clone(), convert::dynamic(c.column.get(row)));
        }
        for (n, v) in &self.params {
            scope.push_dynamic(n.clone(), convert::param(v));
        }
        scope
    }

    fn compile(&self, text: &str) -> Option<AST> {
        self.engine.compile_with_scope(&self.scope(0), text).ok()
    }

    /// Rhai's answer for one customer (`None` for an error or `()`).
    fn rhai(&self, ast: &AST, row: usize) -> Option<Out> {
        let v: Dynamic = self
            .engine
            .eval_ast_with_scope(&mut self.scope(row), ast)
            .ok()?;
        Out::of_rhai(&v)
    }

    /// Checks native against Rhai on every row; gives how many rows native answered.
    fn agree(&self, text: &str, bound: &Bound) -> usize {
        let ast = self.compile(text);
        let mut answered = 0;
        for row in 0..self.table.len() {
            let Some(v) = bound.eval(&self.table.columns, row) else {
                continue;
            };
            answered += 1;
            let ast = ast.as_ref().unwrap_or_else(|| {
                panic!("{text}: native answers {v:?} but Rhai cannot compile it")
            });
            let native = Out::of(v);
            match self.rhai(ast, row) {
                Some(r) if r.same(&native) => {}
                other => panic!("{text}, row {row}: native {native:?}, Rhai {other:?}"),
            }
        }
        answered
    }
}

/// Columns of every type, with empty cells and extremes.
fn sample() -> World {
    World::new(
        vec![
            ("orders", Column::Int(vec![1, 5, 7, EMPTY_INT, i64::MAX, 0])),
            (
                "revenue",
                Column::Money(vec![100, 50_000, 123_456, 0, -700, 9_999_999]),
            ),
            (
                "ratio",
                Column::Float(vec![0.5, f64::NAN, 1.25, 0.0, -2.0, 0.30000000000000004]),
            ),
            ("flag", Column::Bool(vec![1, 0, 2, 1, 0, 1])),
            (
                "segment",
                Column::Text(vec![
                    Some("Gold".into()),
                    Some("Silver".into()),
                    None,
                    Some(String::new()),
                    Some("Gold".into()),
                    Some("gold".into()),
                ]),
            ),
            ("first", Column::Date(vec![100, 200, 300, 400, 500, 600])),
        ],
        vec![
            ("min", ParamValue::Int(5)),
            ("cut", ParamValue::Float(500.5)),
            ("on", ParamValue::Bool(true)),
            ("target", ParamValue::Text("Gold".into())),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[test]
fn names_thresholds_and_calls_keep_their_spans() {
    let text = "revenue_12m >= first_class_min || revenue > percentile(\"revenue\", 0.95)";
    let Some(Node::Binary {
        op: BinOp::Or,
        left,
        right,
        span,
    }) = parse(text).tree
    else {
        panic!("an ||");
    };
    assert_eq!(span, Span::new(0, text.len()));
    let Node::Binary {
        left: m, right: t, ..
    } = *left
    else {
        panic!("a comparison")
    };
    assert_eq!(m.span().text(text), "revenue_12m");
    assert_eq!(t.span(), Span::new(15, 30));
    assert_eq!(t.span().text(text), "first_class_min");
    let Node::Binary { right: p, .. } = *right else {
        panic!("a comparison")
    };
    assert_eq!(
        *p,
        Node::Population {
            function: PopFn::Percentile,
            metric: "revenue".into(),
            arg: Some(0.95),
            span: Span::new(44, text.len()),
        }
    );
}

#[test]
fn literals_of_every_kind() {
    assert_eq!(tree_of("1_000").as_deref(), Some("1000"));
    assert_eq!(tree_of("2.50").as_deref(), Some("2.5"));
    assert_eq!(tree_of("true").as_deref(), Some("true"));
    assert_eq!(tree_of("\"Gold\"").as_deref(), Some("\"Gold\""));
    assert_eq!(tree_of("-5").as_deref(), Some("(-5)"));
    assert_eq!(
        tree_of("median(\"x\") + mean(\"y\") - total(\"z\") * percentile(\"w\", 1)").as_deref(),
        Some("((median(\"x\") + mean(\"y\")) - (total(\"z\") * percentile(\"w\", 1.0)))")
    );
}

#[test]
fn precedence_and_associativity_are_rhai_s() {
    for (text, tree) in [
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("a == b < c", "(a == (b < c))"),
        ("a < b == c > d", "((a < b) == (c > d))"),
        ("a + b * c - d", "((a + (b * c)) - d)"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b % c * d", "(((a / b) % c) * d)"),
        ("-a * b", "((-a) * b)"),
        ("!a == b", "((!a) == b)"),
        ("!!a", "(!(!a))"),
        ("- -a", "(-(-a))"),
        ("(a || b) && c", "((a || b) && c)"),
        (
            "a != b || c >= 1.5 && !d",
            "((a != b) || ((c >= 1.5) && (!d)))",
        ),
        ("a > 1 > 0", "((a > 1) > 0)"),
    ] {
        assert_eq!(tree_of(text).as_deref(), Some(tree), "{text}");
    }
}

#[test]
fn if_chains_as_whole_expressions_and_branches() {
    let text = "if revenue > 1000 { \"A\" } else if revenue > 100 { \"B\" } else { \"C\" }";
    assert_eq!(
        tree_of(text).as_deref(),
        Some("if (revenue > 1000) { \"A\" } else if (revenue > 100) { \"B\" } else { \"C\" }")
    );
    let Some(Node::If { span, branches, .. }) = parse(text).tree else {
        panic!("an if")
    };
    assert_eq!(span, Span::new(0, text.len()));
    assert_eq!(branches[1].0.span().text(text), "revenue > 100");
    assert_eq!(
        tree_of("if a { if b { 1 } else { 2 } } else { orders * 2 }").as_deref(),
        Some("if a { if b { 1 } else { 2 } } else { (orders * 2) }")
    );
    assert_eq!(tree_of("if a { 1 }").as_deref(), Some("if a { 1 }"));
    for opaque in [
        "if a { 1 } else { 2 } + 3",
        "(if a { 1 } else { 2 })",
        "1 + if a { 1 } else { 2 }",
        "if a { 1; } else { 2 }",
        "if a { } else { 2 }",
        "if a { 1 } else",
        "if a 1 else 2",
    ] {
        assert_eq!(tree_of(opaque), None, "{opaque}");
    }
}

#[test]
fn comments_are_not_code() {
    assert_eq!(
        tree_of("revenue > 5 // the floor\n && /* and */ orders >= 2").as_deref(),
        Some("((revenue > 5) && (orders >= 2))")
    );
}

#[test]
fn anything_outside_the_subset_is_opaque() {
    for text in [
        "",
        "|x| x + 1",
        "Fn(\"f\").call(1)",
        "segment.len() > 3",
        "segment.starts_with(\"G\")",
        "\"Gold\" in segment",
        "segment in [\"Gold\", \"Silver\"]",
        "\"a\\\"b\" == segment",
        "`Gold` == segment",
        "'G' == letter",
        "let x = revenue; x > 5",
        "revenue > 1;",
        "revenue = 1",
        "revenue += 1",
        "revenue ** 2",
        "revenue >= 1e3",
        "revenue >= 0x10",
        "revenue >= 1.",
        "revenue >= 99999999999999999999",
        "yearly_value(revenue) > 3",
        "percentile(metric, 0.5)",
        "percentile(\"x\", -0.5)",
        "percentile(\"x\")",
        "median(\"x\", 1)",
        "x[0] > 1",
        "#{a: 1}.a",
        "a ?? b",
        "a?.b",
        "revenue <-5",
        "--revenue",
        "+revenue",
        "a | b",
        "a & b",
        "a ^ b",
        "a << 1",
        "switch x { 1 => true, _ => false }",
        "while true { }",
        "revenue > ",
        "(revenue > 5",
        "revenue > 5)",
        "fn f() { 1 }",
        "this > 1",
        "revenue > €",
        "5 || flag",
        "flag && \"x\"",
        "flag && (-1.5)",
        "if 1 { 2 } else { 3 }",
    ] {
        assert!(parse(text).is_opaque(), "{text} should be opaque");
    }
}

#[test]
fn deep_nesting_is_left_to_rhai_without_exhausting_the_stack() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse(&deep).is_opaque());
    let negations = format!("{}true", "!".repeat(100_000));
    assert!(parse(&negations).is_opaque());
    let shallow = format!("{}1{}", "(".repeat(20), ")".repeat(20));
    assert_eq!(tree_of(&shallow).as_deref(), Some("1"));
}

#[test]
fn spans_as_lines_and_columns() {
    let text = "revenue >= 500 &&\n  orders >= min_orders";
    let p = parse(text);
    let min = p.names.iter().find(|n| n.name == "min_orders").unwrap();
    assert_eq!(min.span.line_col(text), (2, 13));
    assert_eq!(p.names[0].span.line_col(text), (1, 1));
    let start = Origin::new("rules/tiers.yaml", 7, 11);
    assert_eq!(
        p.names[0].span.origin(text, &start),
        Origin::new("rules/tiers.yaml", 7, 11)
    );
    assert_eq!(
        min.span.origin(text, &start),
        Origin::new("rules/tiers.yaml", 8, 13)
    );
    assert_eq!(
        Span::new(4, 5).line_col("\"é\" x"),
        (1, 4),
        "columns count characters"
    );
    let unknown = Origin::file("powerbase.yaml");
    assert_eq!(min.span.origin(text, &unknown), unknown);
}

// ---------------------------------------------------------------------------------------------
// Names

fn ours(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let p = parse(text);
    (
        p.names.into_iter().map(|n| n.name).collect(),
        p.populations
            .into_iter()
            .map(|p| (p.function.name().to_string(), p.metric))
            .collect(),
    )
}

/// Names and population metrics in opaque code: strings, comments, keywords, calls, methods and
/// properties are not reads; locals are (consumers filter names by the known ones).
#[test]
fn names_and_populations_of_opaque_code() {
    /// Text, names read, (function, metric) of population calls.
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "revenue >= percentile(\"value\", 0.9) && orders >= min_orders // revenue_12m",
            &["revenue", "orders", "min_orders"][..],
            &[("percentile", "value")][..],
        ),
        (
            "let s = \"orders\"; /* cost */ s.len() + x.y + 1.5e3",
            &["s", "x"][..],
            &[][..],
        ),
        (
            "yearly_value (revenue) + yearly_value",
            &["revenue", "yearly_value"][..],
            &[][..],
        ),
        (
            "if revenue > big { tier(\"a\") } else { other }",
            &["revenue", "big", "other"][..],
            &[][..],
        ),
        (
            "let t = revenue; t > percentile(\"revenue\", 0.9) && median(\"orders\") < mean(\"x\")",
            &["t", "revenue"][..],
            &[
                ("percentile", "revenue"),
                ("median", "orders"),
                ("mean", "x"),
            ][..],
        ),
        (
            "total(\"revenue\") + total(\"revenue\") + total(\"cost\") + median(name)",
            &["name"][..],
            &[("total", "revenue"), ("total", "cost")][..],
        ),
        ("x?.y + z", &["x", "z"][..], &[][..]),
        ("#{a: 1, b: c}.a", &["a", "b", "c"][..], &[][..]),
        ("|x| x + offset", &["x", "offset"][..], &[][..]),
        (
            "'c' == letter && \"it's\" != word",
            &["letter", "word"][..],
            &[][..],
        ),
        ("fn_call(a, \"b\", c)", &["a", "c"][..], &[][..]),
        (
            "revenue.max(3) + cost . min(4)",
            &["revenue", "cost"][..],
            &[][..],
        ),
        ("arr[idx] + 1", &["arr", "idx"][..], &[][..]),
        ("Fn(\"f\").call(y)", &["y"][..], &[][..]),
        (
            "a // one\n+ b /* two */ + c\n// three d",
            &["a", "b", "c"][..],
            &[][..],
        ),
        (
            "switch segment { \"Gold\" => 1, _ => other }",
            &["segment", "other"][..],
            &[][..],
        ),
        (
            "for x in items { total += x; } total",
            &["x", "items", "total"][..],
            &[][..],
        ),
        ("x.y.z + w", &["x", "w"][..], &[][..]),
        ("0x1F + n1", &["n1"][..], &[][..]),
        ("f (\"s\")", &[][..], &[][..]),
        (
            "percentile (\"revenue\", 0.5) > revenue",
            &["revenue"][..],
            &[("percentile", "revenue")][..],
        ),
        ("this.value + global.x", &[][..], &[][..]),
    ];
    for (text, names, pops) in cases {
        let (n, p) = ours(text);
        assert_eq!(n, *names, "{text}");
        let p: Vec<(&str, &str)> = p.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect();
        assert_eq!(p, *pops, "{text}");
    }
}

#[test]
fn names_in_interpolations_ranges_and_nested_comments() {
    // Names inside interpolations are read.
    assert_eq!(
        names("`${segment} customer` == label"),
        vec!["segment", "label"]
    );
    // A range's end is a name, not part of a number.
    assert_eq!(names("for i in 0..n { }"), vec!["i", "n"]);
    // Block comments nest in Rhai.
    assert_eq!(names("/* a /* b */ c */ d"), vec!["d"]);
    // Keywords are not names.
    assert_eq!(names("if true { let x = 1; x } else { y }"), vec!["x", "y"]);
}

#[test]
fn names_and_populations_carry_their_first_span() {
    let text = "orders > 1 && percentile(\"revenue\", 0.5) < orders * median(\"revenue\")";
    let p = parse(text);
    assert_eq!(p.names.len(), 1);
    assert_eq!(p.names[0].span, Span::new(0, 6));
    assert_eq!(
        p.populations,
        vec![
            PopulationRef {
                function: PopFn::Percentile,
                metric: "revenue".into(),
                span: Span::new(25, 34),
            },
            PopulationRef {
                function: PopFn::Median,
                metric: "revenue".into(),
                span: Span::new(59, 68),
            },
        ]
    );
    assert_eq!(p.populations[0].span.text(text), "\"revenue\"");
    assert_eq!(p.populations[1].span.text(text), "\"revenue\"");
}

// ---------------------------------------------------------------------------------------------
// Binding and evaluation

#[test]
fn agrees_with_rhai_on_hand_picked_expressions() {
    let w = sample();
    for text in [
        "revenue >= 500",
        "orders >= 5.0",
        "orders >= min || revenue > cut",
        "!(orders > 3) && ratio < 1",
        "orders * 2 + 1",
        "orders / 2",
        "orders % 4",
        "revenue / orders",
        "-orders + 3",
        "ratio == 0.5",
        "ratio != 0.5",
        "ratio <= 0.3",
        "0.1 + 0.2 == 0.3",
        "flag",
        "flag == on",
        "flag > false",
        "revenue >= percentile(\"revenue\", 0.5)",
        "1_000 < revenue * 10",
        "segment == \"Gold\"",
        "segment == target",
        "segment < \"Silver\"",
        "if revenue > 1000 { \"big\" } else if revenue > 0 { \"small\" } else { \"none\" }",
        "if segment == \"Gold\" { 1 } else { ratio }",
        "if flag { orders }",
    ] {
        let bound = w.bind(text).unwrap_or_else(|| panic!("{text} should bind"));
        assert!(w.agree(text, &bound) > 0, "{text}: never answered");
    }
}

#[test]
fn floats_compare_with_rhai_s_tolerance() {
    let w = sample();
    let eval = |text: &str, row| {
        w.bind(text)
            .unwrap()
            .eval(&w.table.columns, row)
            .map(Out::of)
    };
    assert_eq!(eval("0.1 + 0.2 == 0.3", 0), Some(Out::Bool(true)));
    // ratio of row 5 is 0.30000000000000004: within one epsilon of 0.3.
    assert_eq!(eval("ratio <= 0.3", 5), Some(Out::Bool(true)));
    assert_eq!(eval("ratio > 0.3", 5), Some(Out::Bool(false)));
    assert_eq!(eval("ratio != 0.3", 5), Some(Out::Bool(false)));
    let bound = w.bind("ratio <= 0.3").unwrap();
    assert_eq!(w.agree("ratio <= 0.3", &bound), 5);
}

#[test]
fn gives_up_where_rhai_must_decide() {
    let w = sample();
    let eval = |text: &str, row| {
        w.bind(text)
            .unwrap()
            .eval(&w.table.columns, row)
            .map(Out::of)
    };
    assert_eq!(eval("orders + 1", 3), None, "empty value");
    assert_eq!(eval("orders + 1", 4), None, "overflow");
    assert_eq!(eval("revenue / orders", 5), None, "division by zero");
    assert_eq!(eval("orders % 0", 0), None, "remainder by zero");
    assert_eq!(eval("ratio > 0", 1), None, "NaN is empty");
    assert_eq!(eval("flag", 2), None, "empty flag");
    assert_eq!(eval("segment == \"Gold\"", 2), None, "empty text");
    assert_eq!(eval("segment + \"x\"", 0), None, "concatenation");
    assert_eq!(eval("orders && true", 0), None, "non-bool operand");
    assert_eq!(eval("!orders", 0), None, "non-bool operand");
    assert_eq!(eval("orders == true", 0), None, "mixed types");
    assert_eq!(eval("segment == 1", 0), None, "mixed types");
    assert_eq!(
        eval("if orders { 1 } else { 2 }", 0),
        None,
        "non-bool condition"
    );
    assert_eq!(eval("if flag { 1 }", 1), None, "no branch taken: ()");
    assert_eq!(eval("-orders - 1", 4), Some(Out::Int(i64::MIN)));
    assert_eq!(eval("-(-orders - 1)", 4), None, "overflow");
    assert_eq!(eval("-orders - 2", 4), None, "overflow");
    assert_eq!(
        eval("false && orders", 0),
        Some(Out::Bool(false)),
        "short circuit"
    );
    assert_eq!(
        eval("true || orders", 0),
        Some(Out::Bool(true)),
        "short circuit"
    );
}

#[test]
fn binding_refuses_what_the_evaluator_cannot_read() {
    let w = sample();
    assert!(w.bind("first > \"1970-01-01\"").is_none(), "dates");
    assert!(w.bind("revenue > unknown").is_none(), "unknown name");
    assert!(
        w.bind("revenue > percentile(\"nothing\", 0.5)").is_none(),
        "no figure"
    );
    assert!(
        w.bind("revenue > percentile(\"revenue\", 1.5)").is_none(),
        "share outside 0..=1"
    );
    let empty = World::new(vec![("x", Column::Float(vec![f64::NAN]))], vec![]);
    assert!(empty.bind("x > mean(\"x\")").is_none(), "mean of nothing");
    assert_eq!(
        empty
            .bind("1 > total(\"x\")")
            .unwrap()
            .eval(&empty.table.columns, 0),
        Some(Val::Bool(true)),
        "the total of nothing is 0"
    );
}

#[test]
fn population_figures_are_the_rhai_functions() {
    let w = sample();
    for text in [
        "percentile(\"revenue\", 0.95)",
        "percentile(\"orders\", 1)",
        "median(\"ratio\")",
        "mean(\"orders\") > 0",
        "total(\"revenue\")",
    ] {
        let bound = w.bind(text).unwrap();
        assert_eq!(w.agree(text, &bound), w.table.len(), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random expressions of the subset against Rhai

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Num,
    Bool,
    Str,
}

struct Gen {
    rng: ChaCha8Rng,
}

const NUM_NAMES: &[&str] = &["n1", "n2", "m1", "f1", "f2", "p_int", "p_big", "p_float"];
const BOOL_NAMES: &[&str] = &["b1", "p_bool"];
const STR_NAMES: &[&str] = &["s1", "s2", "p_text"];
const INTS: &[i64] = &[0, 1, 2, 3, 5, 7, 100, 500, i64::MAX];
const FLOATS: &[f64] = &[0.5, 0.1, 0.2, 0.3, 1.25, 100.0, 500.5, 2.0, 0.0];
const STRS: &[&str] = &["Gold", "Silver", "", "gold"];

fn dummy() -> Span {
    Span::default()
}

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u32() as usize) % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn name(&mut self, names: &[&str]) -> Node {
        Node::Name {
            name: self.pick(names).to_string(),
            span: dummy(),
        }
    }

    fn lit(&self, value: Lit) -> Node {
        Node::Lit {
            value,
            span: dummy(),
        }
    }

    fn binary(&mut self, ops: &[BinOp], left: Node, right: Node) -> Node {
        Node::Binary {
            op: self.pick(ops),
            left: Box::new(left),
            right: Box::new(right),
            span: dummy(),
        }
    }

    fn unary(&self, op: UnOp, operand: Node) -> Node {
        Node::Unary {
            op,
            operand: Box::new(operand),
            span: dummy(),
        }
    }

    /// An expression mostly of type `ty`; now and then of another, to exercise the give-ups.
    fn expr(&mut self, ty: Ty, depth: usize) -> Node {
        let ty = if self.chance(4) {
            self.pick(&[Ty::Num, Ty::Bool, Ty::Str])
        } else {
            ty
        };
        let leaf = depth == 0 || self.chance(30);
        match (ty, leaf) {
            (Ty::Num, true) => self.num_leaf(),
            (Ty::Bool, true) => match self.below(3) {
                0 => self.name(BOOL_NAMES),
                _ => {
                    let b = self.chance(50);
                    self.lit(Lit::Bool(b))
                }
            },
            (Ty::Str, _) => match self.below(2) {
                0 => self.name(STR_NAMES),
                _ => {
                    let s = self.pick(STRS);
                    self.lit(Lit::Str(s.to_string()))
                }
            },
            (Ty::Num, false) => self.num_node(depth),
            (Ty::Bool, false) => self.bool_node(depth),
        }
    }

    fn num_leaf(&mut self) -> Node {
        match self.below(6) {
            0..=2 => self.name(NUM_NAMES),
            3 => {
                let i = self.pick(INTS);
                self.lit(Lit::Int(i))
            }
            4 => {
                let f = self.pick(FLOATS);
                self.lit(Lit::Float(f))
            }
            _ => {
                let (function, metric, arg) = self.pick(&[
                    (PopFn::Percentile, "m1", Some(0.5)),
                    (PopFn::Percentile, "f1", Some(0.9)),
                    (PopFn::Percentile, "n1", Some(1.0)),
                    (PopFn::Percentile, "n2", Some(0.0)),
                    (PopFn::Median, "f1", None),
                    (PopFn::Mean, "n1", None),
                    (PopFn::Total, "m1", None),
                ]);
                Node::Population {
                    function,
                    metric: metric.to_string(),
                    arg,
                    span: dummy(),
                }
            }
        }
    }

    fn num_node(&mut self, depth: usize) -> Node {
        if self.chance(15) {
            let operand = self.expr(Ty::Num, depth - 1);
            return self.unary(UnOp::Neg, operand);
        }
        let (l, r) = (self.expr(Ty::Num, depth - 1), self.expr(Ty::Num, depth - 1));
        use BinOp::*;
        self.binary(&[Add, Sub, Mul, Div, Rem], l, r)
    }

    fn bool_node(&mut self, depth: usize) -> Node {
        use BinOp::*;
        match self.below(10) {
            0 => {
                let operand = self.expr(Ty::Bool, depth - 1);
                self.unary(UnOp::Not, operand)
            }
            1..=3 => {
                let (l, r) = (
                    self.expr(Ty::Bool, depth - 1),
                    self.expr(Ty::Bool, depth - 1),
                );
                self.binary(&[And, Or], l, r)
            }
            4 => {
                let (l, r) = (self.expr(Ty::Str, depth - 1), self.expr(Ty::Str, depth - 1));
                self.binary(&[Eq, Ne, Lt, Le, Gt, Ge], l, r)
            }
            5 => {
                let (l, r) = (
                    self.expr(Ty::Bool, depth - 1),
                    self.expr(Ty::Bool, depth - 1),
                );
                self.binary(&[Eq, Ne, Lt, Ge], l, r)
            }
            _ => {
                let (l, r) = (self.expr(Ty::Num, depth - 1), self.expr(Ty::Num, depth - 1));
                self.binary(&[Eq, Ne, Lt, Le, Gt, Ge], l, r)
            }
        }
    }

    /// A whole expression: mostly a condition or a number, sometimes an `if` chain with literal
    /// (or, now and then, computed) results.
    fn root(&mut self) -> Node {
        if !self.chance(15) {
            let ty = self.pick(&[Ty::Bool, Ty::Bool, Ty::Num]);
            return self.expr(ty, 4);
        }
        let ty = self.pick(&[Ty::Num, Ty::Str, Ty::Bool]);
        let arms = 1 + self.below(3);
        let branches = (0..arms)
            .map(|_| (self.expr(Ty::Bool, 3), self.result(ty)))
            .collect();
        let otherwise = (!self.chance(20)).then(|| Box::new(self.result(ty)));
        Node::If {
            branches,
            otherwise,
            span: dummy(),
        }
    }

    fn result(&mut self, ty: Ty) -> Node {
        if self.chance(20) {
            return self.expr(ty, 2);
        }
        match ty {
            Ty::Num => {
                let i = self.pick(INTS);
                self.lit(Lit::Int(i))
            }
            Ty::Str => {
                let s = self.pick(STRS);
                self.lit(Lit::Str(s.to_string()))
            }
            Ty::Bool => {
                let b = self.chance(50);
                self.lit(Lit::Bool(b))
            }
        }
    }
}

fn precedence(node: &Node) -> u8 {
    match node {
        Node::Binary { op, .. } => BinOp::from_symbol(op.symbol()).expect("an operator").1,
        Node::If { .. } => 0,
        _ => u8::MAX,
    }
}

/// Rhai source for a tree, with only the parentheses precedence and left associativity need.
fn print(node: &Node) -> String {
    let wrap = |n: &Node, needs: bool| {
        if needs {
            format!("({})", print(n))
        } else {
            print(n)
        }
    };
    match node {
        Node::Lit {
            value: Lit::Str(s), ..
        } => format!("\"{s}\""),
        Node::Lit { .. } | Node::Name { .. } | Node::Population { .. } => show(node),
        Node::Unary { op, operand, .. } => {
            let sym = if *op == UnOp::Not { "!" } else { "-" };
            let inner = wrap(operand, precedence(operand) < u8::MAX);
            let gap = if inner.starts_with('-') { " " } else { "" };
            format!("{sym}{gap}{inner}")
        }
        Node::Binary {
            op, left, right, ..
        } => {
            let p = precedence(node);
            format!(
                "{} {} {}",
                wrap(left, precedence(left) < p),
                op.symbol(),
                wrap(right, precedence(right) <= p)
            )
        }
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            let arms: Vec<String> = branches
                .iter()
                .map(|(c, r)| format!("if {} {{ {} }}", print(c), print(r)))
                .collect();
            let mut s = arms.join(" else ");
            if let Some(o) = otherwise {
                s += &format!(" else {{ {} }}", print(o));
            }
            s
        }
    }
}

/// A table of random rows drawn from values that matter: empties, zeros, extremes, values one
/// epsilon apart.
fn random_world(rng: &mut ChaCha8Rng, rows: usize) -> World {
    let mut pick = |n: usize| (rng.next_u32() as usize) % n;
    let ints = [
        0,
        1,
        2,
        3,
        -3,
        7,
        100,
        EMPTY_INT,
        i64::MAX,
        -i64::MAX,
        1 << 53,
        (1 << 53) + 1,
    ];
    let money = [0, 1, 10, 30, 50_000, -700, 123_456, 10_010, 99_999_999];
    let floats = [
        0.5,
        f64::NAN,
        1.25,
        0.0,
        -0.0,
        -2.0,
        0.1,
        0.2,
        0.3,
        0.30000000000000004,
        1e300,
        1e-300,
        500.5,
        3.0,
    ];
    let texts = [Some("Gold"), Some("Silver"), None, Some(""), Some("gold")];
    let mut int_column = || Column::Int((0..rows).map(|_| ints[pick(ints.len())]).collect());
    let (n1, n2) = (int_column(), int_column());
    let m1 = Column::Money((0..rows).map(|_| money[pick(money.len())]).collect());
    let mut float_column =
        || Column::Float((0..rows).map(|_| floats[pick(floats.len())]).collect());
    let (f1, f2) = (float_column(), float_column());
    let b1 = Column::Bool((0..rows).map(|_| pick(3) as u8).collect());
    let mut text_column = || {
        Column::Text(
            (0..rows)
                .map(|_| texts[pick(texts.len())].map(String::from))
                .collect(),
        )
    };
    let (s1, s2) = (text_column(), text_column());
    World::new(
        vec![
            ("n1", n1),
            ("n2", n2),
            ("m1", m1),
            ("f1", f1),
            ("f2", f2),
            ("b1", b1),
            ("s1", s1),
            ("s2", s2),
        ],
        vec![
            ("p_int", ParamValue::Int(5)),
            ("p_big", ParamValue::Int(i64::MAX)),
            ("p_float", ParamValue::Float(500.5)),
            ("p_bool", ParamValue::Bool(true)),
            ("p_text", ParamValue::Text("Gold".into())),
        ],
    )
}

#[test]
fn random_expressions_agree_with_rhai_wherever_native_answers() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let world = random_world(&mut rng, 24);
    let mut gen = Gen { rng };
    let (mut answered, mut evaluations, mut refused) = (0, 0, 0);
    for _ in 0..3_000 {
        let tree = gen.root();
        let text = print(&tree);
        let parsed = parse(&text);
        // Generated trees Rhai refuses to compile (a literal number as an operand of `&&`) are
        // opaque; all others read back as generated.
        let compiles = world.compile(&text).is_some();
        let Some(back) = parsed.tree.as_ref() else {
            assert!(!compiles, "{text} should be in the subset");
            refused += 1;
            continue;
        };
        assert!(compiles, "{text} is read natively but Rhai refuses it");
        assert_eq!(show(back), show(&tree), "{text} read back");
        let mut expected = Vec::new();
        tree_names(&tree, &mut expected);
        let listed: Vec<String> = parsed.names.iter().map(|n| n.name.clone()).collect();
        assert_eq!(listed, expected, "{text}: names");
        let bound = bind(back, &world.names()).unwrap_or_else(|| panic!("{text} should bind"));
        answered += world.agree(&text, &bound);
        evaluations += world.table.len();
    }
    // The generator is typed so that most evaluations are decided natively.
    assert!(
        answered * 3 > evaluations,
        "native answered only {answered} of {evaluations}"
    );
    assert!(refused < 300, "{refused} expressions refused");
}

// ---------------------------------------------------------------------------------------------
// Threshold conditions

fn tiers_world() -> World {
    World::new(
        vec![
            (
                "revenue_12m",
                Column::Money(vec![28_760, 50_000, 0, 120_000, 49_000]),
            ),
            ("purchase_days", Column::Int(vec![1, 4, EMPTY_INT, 2, 5])),
            ("ratio", Column::Float(vec![0.25, 0.5, f64::NAN, 0.1, 0.3])),
            (
                "segment",
                Column::Text(vec![Some("Gold".into()), None, None, None, None]),
            ),
        ],
        vec![
            ("first_class_min", ParamValue::Int(500)),
            ("min_days", ParamValue::Int(3)),
            ("label", ParamValue::Text("x".into())),
        ],
    )
}

fn condition(w: &World, text: &str) -> Condition<Test> {
    w.bind(text)
        .and_then(|b| b.condition().cloned())
        .unwrap_or_else(|| panic!("{text} should be a threshold condition"))
}

#[test]
fn comparisons_see_the_shape_before_binding() {
    let p = parse("first_class_min <= revenue_12m && (orders > 3 || revenue >= -100)");
    let c = comparisons(p.tree.as_ref().unwrap()).unwrap();
    let Condition::All(parts) = &c else {
        panic!("an &&: {c:?}")
    };
    assert!(matches!(parts[1], Condition::Any(ref alts) if alts.len() == 2));
    let tests = c.tests();
    assert_eq!(tests.len(), 3);
    assert!(matches!(
        tests[0].left,
        Operand::Name {
            name: "first_class_min",
            ..
        }
    ));
    assert_eq!(tests[0].op, CmpOp::Le);
    assert!(matches!(
        tests[2].right,
        Operand::Number {
            value: Number::Int(-100),
            ..
        }
    ));
    let flat = parse("a >= 1 && b >= 2 && c >= 3");
    assert!(
        matches!(comparisons(flat.tree.as_ref().unwrap()), Some(Condition::All(ref p)) if p.len() == 3)
    );
    for other in [
        "revenue * 2 >= 500",
        "!(revenue >= 500)",
        "flag",
        "1 < 2",
        "revenue >= 1 && flag",
        "if a { b } else { c }",
        "revenue + 1",
        "segment == \"Gold\" || x > -y",
    ] {
        let p = parse(other);
        assert!(comparisons(p.tree.as_ref().unwrap()).is_none(), "{other}");
    }
}

#[test]
fn binding_puts_the_metric_first_and_names_the_threshold() {
    let w = tiers_world();
    let c = condition(
        &w,
        "first_class_min <= revenue_12m || purchase_days > percentile(\"purchase_days\", 0.5) || ratio < 0.3",
    );
    let tests = c.tests();
    assert_eq!(tests[0].metric, "revenue_12m");
    assert_eq!(tests[0].kind, Kind::Money);
    assert_eq!(tests[0].op, CmpOp::Ge);
    assert_eq!(tests[0].threshold.value, Number::Int(500));
    assert_eq!(
        tests[0].threshold.source,
        Source::Param("first_class_min".into())
    );
    assert_eq!(tests[0].threshold.span, Span::new(0, 15));
    assert_eq!(
        tests[1].threshold.source,
        Source::Population {
            function: PopFn::Percentile,
            metric: "purchase_days".into(),
            arg: Some(0.5),
        }
    );
    assert_eq!(tests[1].threshold.value, Number::Float(3.0));
    assert_eq!(tests[2].threshold.source, Source::Literal);
    assert_eq!(tests[2].kind, Kind::Float);
    for not_thresholds in [
        "revenue_12m >= purchase_days",
        "segment == \"Gold\"",
        "revenue_12m >= label",
        "revenue_12m > 1 || segment == label",
    ] {
        let b = w.bind(not_thresholds).unwrap();
        assert!(b.condition().is_none(), "{not_thresholds}");
    }
}

fn change<'c>(d: &Distance<'c>) -> (&'c str, f64, bool) {
    match d {
        Distance::Change(c) => (c.test.metric.as_str(), c.by, c.strict),
        other => panic!("one change expected: {other:?}"),
    }
}

#[test]
fn distance_to_pass_an_or_lists_the_alternatives() {
    let w = tiers_world();
    let b = w
        .bind("revenue_12m >= first_class_min || purchase_days > min_days")
        .unwrap();
    let Some(Distance::Any(alternatives)) = b.distance(&w.table.columns, 0) else {
        panic!("two alternatives")
    };
    assert_eq!(change(&alternatives[0]), ("revenue_12m", 212.4, false));
    assert_eq!(change(&alternatives[1]), ("purchase_days", 3.0, false));
    let Distance::Change(c) = &alternatives[0] else {
        unreachable!()
    };
    assert_eq!(c.value, Number::Float(287.6));
    assert_eq!(
        b.distance(&w.table.columns, 1),
        Some(Distance::Met),
        "500 >= 500"
    );
    // An empty purchase_days leaves revenue as the only way.
    assert_eq!(
        change(&b.distance(&w.table.columns, 2).unwrap()),
        ("revenue_12m", 500.0, false)
    );
}

#[test]
fn distance_to_pass_an_and_lists_every_missing_part() {
    let w = tiers_world();
    let b = w
        .bind("revenue_12m > 500 && ratio > 0.3 && purchase_days >= 1")
        .unwrap();
    let Some(Distance::All(parts)) = b.distance(&w.table.columns, 0) else {
        panic!("two parts")
    };
    assert_eq!(parts.len(), 2, "purchase_days is met");
    assert_eq!(change(&parts[0]), ("revenue_12m", 212.41, false));
    let (metric, by, strict) = change(&parts[1]);
    assert_eq!((metric, strict), ("ratio", true));
    assert!((by - 0.05).abs() < 1e-12);
    assert_eq!(b.distance(&w.table.columns, 2), None, "an empty part");
    let Some(Distance::All(parts)) = b.distance(&w.table.columns, 4) else {
        panic!("two parts")
    };
    assert_eq!(change(&parts[0]), ("revenue_12m", 10.01, false));
    assert_eq!(change(&parts[1]), ("ratio", 0.0, true), "0.3 is not > 0.3");
}

#[test]
fn distance_downwards_exact_and_not_computable() {
    let w = tiers_world();
    let fall = w.bind("revenue_12m < 400").unwrap();
    assert_eq!(
        change(&fall.distance(&w.table.columns, 1).unwrap()),
        ("revenue_12m", -100.01, false)
    );
    let at_most = w.bind("purchase_days <= 2.5").unwrap();
    assert_eq!(
        change(&at_most.distance(&w.table.columns, 1).unwrap()),
        ("purchase_days", -2.0, false)
    );
    let exact = w.bind("purchase_days == 3").unwrap();
    assert_eq!(
        change(&exact.distance(&w.table.columns, 0).unwrap()),
        ("purchase_days", 2.0, false)
    );
    assert_eq!(
        w.bind("purchase_days == 2.5")
            .unwrap()
            .distance(&w.table.columns, 0),
        None
    );
    assert_eq!(
        w.bind("purchase_days != 1")
            .unwrap()
            .distance(&w.table.columns, 0),
        None
    );
    assert_eq!(
        w.bind("purchase_days != 1")
            .unwrap()
            .distance(&w.table.columns, 1),
        Some(Distance::Met)
    );
    assert_eq!(
        w.bind("revenue_12m * 2 > 1")
            .unwrap()
            .distance(&w.table.columns, 0),
        None
    );
}

#[test]
fn customers_near_a_threshold() {
    let w = tiers_world();
    let c = condition(&w, "revenue_12m >= 500 && purchase_days >= min_days");
    let tests = c.tests();
    let near = |t: &Test| -> Vec<usize> {
        (0..w.table.len())
            .filter(|&r| t.near(&w.table.columns, r, 0.05) == Some(true))
            .collect()
    };
    assert_eq!(near(tests[0]), vec![1, 4], "500.00 and 490.00");
    assert_eq!(near(tests[1]), Vec::<usize>::new());
    assert_eq!(tests[1].near(&w.table.columns, 2, 0.05), None, "empty");
    assert_eq!(tests[1].holds(&w.table.columns, 1), Some(true));
    assert_eq!(tests[1].value(&w.table.columns, 1), Some(Number::Int(4)));
}

#[test]
fn constant_expressions_are_thresholds_with_rhai_values() {
    let w = tiers_world();
    // Integer division stays integer, as in Rhai: 501 / 2 is 250.
    let odd = World::new(
        vec![("revenue_12m", Column::Money(vec![24_999, 25_000]))],
        vec![("first_class_min", ParamValue::Int(501))],
    );
    for (world, text, value, written) in [
        (
            &w,
            "revenue_12m >= first_class_min / 2",
            Number::Int(250),
            "first_class_min / 2",
        ),
        (
            &odd,
            "revenue_12m >= first_class_min / 2",
            Number::Int(250),
            "first_class_min / 2",
        ),
        (
            &w,
            "first_class_min * 1.5 <= revenue_12m",
            Number::Float(750.0),
            "first_class_min * 1.5",
        ),
        (&w, "revenue_12m > -min_days", Number::Int(-3), "-min_days"),
        (
            &w,
            "revenue_12m >= percentile(\"revenue_12m\", 0.5) + 10",
            Number::Float(500.0),
            "percentile(\"revenue_12m\", 0.5) + 10",
        ),
    ] {
        let c = condition(world, text);
        let t = c.tests()[0];
        assert_eq!(t.metric, "revenue_12m");
        assert_eq!(t.threshold.value, value, "{text}");
        assert_eq!(t.threshold.source, Source::Expression, "{text}");
        assert_eq!(t.threshold.span.text(text), written);
        // The same answer as Rhai for every customer.
        let bound = world.bind(text).unwrap();
        assert_eq!(world.agree(text, &bound), world.table.len(), "{text}");
    }
    let b = odd.bind("revenue_12m >= first_class_min / 2").unwrap();
    let Some(Distance::Change(c)) = b.distance(&odd.table.columns, 0) else {
        panic!("one change")
    };
    assert_eq!(c.by, 0.01);
    assert_eq!(b.distance(&odd.table.columns, 1), Some(Distance::Met));
    // Not constants: a column, a text param, a division by zero.
    for text in [
        "revenue_12m >= purchase_days / 2",
        "revenue_12m >= label + 1",
        "revenue_12m >= first_class_min / 0",
        "revenue_12m >= (first_class_min > 2)",
    ] {
        assert!(
            w.bind(text).and_then(|b| b.condition().cloned()).is_none(),
            "{text}"
        );
    }
}

#[test]
fn threshold_tests_are_found_anywhere_in_a_tree() {
    let w = tiers_world();
    let text = "if ratio < 0.3 { !(revenue_12m >= 500) && segment == \"Gold\" } else { purchase_days * 2 > min_days || purchase_days >= min_days }";
    let p = parse(text);
    let tests = threshold_tests(p.tree.as_ref().unwrap(), &w.names());
    let shown: Vec<(&str, &str, &str)> = tests
        .iter()
        .map(|t| {
            (
                t.metric.as_str(),
                t.op.symbol(),
                t.threshold.span.text(text),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            ("ratio", "<", "0.3"),
            ("revenue_12m", ">=", "500"),
            ("purchase_days", ">=", "min_days"),
        ]
    );
}

#[test]
fn population_calls_with_their_figures_arguments() {
    let text = "revenue >= percentile(\"revenue\", 0.95) && orders > median(\"orders\") \
                || percentile(\"revenue\", 0.95) < x.median(\"y\") + percentile(\"revenue\", share) \
                + mean(\"cost\", 2) + total (\"revenue\")";
    let calls = population_calls(text);
    let shown: Vec<(&str, Option<f64>, bool)> = calls
        .iter()
        .map(|c| (c.span.text(text), c.arg, c.fixed))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("percentile(\"revenue\", 0.95)", Some(0.95), true),
            ("median(\"orders\")", None, true),
            ("percentile(\"revenue\", share)", None, false),
            ("mean(\"cost\", 2)", None, false),
            ("total (\"revenue\")", None, true),
        ]
    );
    assert_eq!(calls[1].function, PopFn::Median);
    assert_eq!(calls[1].metric, "orders");
    let open = population_calls("percentile(\"revenue\", 0.9");
    assert_eq!(open[0].span, Span::new(0, 25), "to the end");
    assert!(!open[0].fixed);
}

#[test]
fn table_figures_are_the_engine_figures() {
    let w = tiers_world();
    let figures = TableFigures::new(&w.table);
    for metric in ["revenue_12m", "purchase_days", "ratio"] {
        assert_eq!(
            figures.sorted(metric),
            w.populations.sorted(metric),
            "{metric}"
        );
    }
    assert_eq!(figures.sorted("nothing"), None);
    let names = NameTable {
        columns: &w.table.columns,
        params: &w.params,
        figures: &figures,
    };
    let b = bind(
        parse("purchase_days > percentile(\"purchase_days\", 0.5)")
            .tree
            .as_ref()
            .unwrap(),
        &names,
    )
    .unwrap();
    assert_eq!(
        b.condition().unwrap().tests()[0].threshold.value,
        Number::Float(3.0)
    );
}
