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
}
