//! Names usable in expressions: shared by the workspace (params, metrics) and the data stage
//! (attribute columns turned into identifiers).

/// Words the expression language (Rhai) reserves; a metric or column cannot take them.
const RESERVED: &[&str] = &[
    "if",
    "else",
    "let",
    "const",
    "fn",
    "true",
    "false",
    "while",
    "loop",
    "for",
    "in",
    "return",
    "throw",
    "try",
    "catch",
    "switch",
    "do",
    "until",
    "import",
    "export",
    "as",
    "private",
    "this",
    "global",
    "break",
    "continue",
    "is_shared",
    "Fn",
    "call",
    "curry",
    "type_of",
    "print",
    "debug",
    "eval",
    "is",
    "is_def_var",
    "is_def_fn",
    "var",
    "static",
    "shared",
    "goto",
    "exit",
    "match",
    "case",
    "public",
    "protected",
    "new",
    "use",
    "with",
    "module",
    "package",
    "super",
    "thread",
    "spawn",
    "go",
    "await",
    "async",
    "sync",
    "yield",
    "default",
    "void",
    "null",
    "nil",
];

/// Whether `name` is reserved by the expression language.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Checks that `name` can be used in expressions: an ASCII identifier, not a reserved word.
pub fn check(name: &str) -> Result<(), String> {
    // As in Rhai: a letter must come before any digit; underscores anywhere.
    let first = name.chars().find(|&c| c != '_');
    let valid = first.is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(
            "a name must hold only letters, digits and `_`, with a letter before any digit".into(),
        );
    }
    if is_reserved(name) {
        return Err(format!(
            "`{name}` is a reserved word of the expression language"
        ));
    }
    Ok(())
}

/// The candidate most like `wanted`, for "did you mean": equal ignoring case and punctuation,
/// or else within a small edit distance. Used for column headers and for names in expressions.
pub fn closest<'h>(headers: &'h [String], wanted: &str) -> Option<&'h str> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let w = norm(wanted);
    if let Some(h) = headers.iter().find(|h| norm(h) == w && !w.is_empty()) {
        return Some(h);
    }
    let wl = wanted.to_lowercase();
    let limit = (wl.chars().count() / 3).max(2);
    headers
        .iter()
        .map(|h| (levenshtein(&h.to_lowercase(), &wl), h))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, h)| h.as_str())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(check("revenue_12m").is_ok());
        assert!(check("_x").is_ok());
        assert!(check("_1").is_err());
        assert!(check("12m").is_err());
        assert!(check("first class").is_err());
        assert!(check("").is_err());
        assert!(check("if").unwrap_err().contains("reserved"));
    }

    #[test]
    fn closest_names() {
        let names: Vec<String> = ["revenue", "revenue_12m", "Dollar Value"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest(&names, "revenu"), Some("revenue"));
        assert_eq!(closest(&names, "dollar_value"), Some("Dollar Value"));
        assert_eq!(closest(&names, "tenure"), None);
    }
}
