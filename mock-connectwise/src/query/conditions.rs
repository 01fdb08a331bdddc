//! The `conditions` language: lexer and recursive-descent parser into an [`Expr`].
//!
//! Grammar (keywords in any case; `and` binds tighter than `or`, as in SQL):
//!
//! ```text
//! expr       := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | "(" expr ")" | comparison
//! comparison := path op literal | path ["not"] ("like" | "contains") string
//!             | path ["not"] "in" "(" literal ("," literal)* ")"
//! op         := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//! path       := name ("/" name)*
//! literal    := "string" | 'string' | number | true | false | null | [date-time]
//! ```
//!
//! Strings take `\"`, `\'` and `\\` escapes. Input is bounded in length and nesting so a
//! hostile query costs a clear 400, never a stack overflow.

use std::fmt;

use crate::datetime;

/// Longest `conditions` string accepted.
pub(crate) const MAX_LEN: usize = 8 * 1024;
/// Deepest nesting of parentheses and `not` accepted.
pub(crate) const MAX_DEPTH: usize = 32;

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp { path: Vec<String>, op: Op, value: Literal },
    In { path: Vec<String>, negated: bool, values: Vec<Literal> },
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    NotLike,
    Contains,
    NotContains,
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// `[2024-01-31T00:00:00Z]`, as seconds since the epoch.
    DateTime(i64),
}

/// Why a `conditions` string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at})")]
pub(crate) struct ParseError {
    pub(crate) message: String,
    pub(crate) at: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Op(Op),
    Word(String),
    Str(String),
    Num(f64),
    Date(i64),
}

fn err<T>(at: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { message: message.into(), at })
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '=' => Some(Tok::Op(Op::Eq)),
            _ => None,
        };
        let (tok, next) = match (single, c) {
            (_, c) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            (Some(tok), _) => (tok, i + 1),
            (None, '!' | '<' | '>') => lex_op(&chars, i)?,
            (None, '"' | '\'') => lex_string(&chars, i)?,
            (None, '[') => lex_date(&chars, i)?,
            (None, c)
                if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit())) =>
            {
                lex_number(&chars, i)?
            }
            (None, c) if c.is_alphabetic() || c == '_' => lex_word(&chars, i),
            (None, other) => return err(at, format!("unexpected character {other:?}")),
        };
        toks.push((at, tok));
        i = next;
    }
    Ok(toks)
}

/// A token and the index of the character after it.
type Lexed = Result<(Tok, usize), ParseError>;

/// `!=`, `<>`, `<=`, `>=`, `<` or `>` at `i`.
fn lex_op(chars: &[(usize, char)], i: usize) -> Lexed {
    let (at, c) = chars[i];
    let next = chars.get(i + 1).map(|&(_, c)| c);
    let (op, len) = match (c, next) {
        ('!', Some('=')) => (Op::Ne, 2),
        ('<', Some('>')) => (Op::Ne, 2),
        ('<', Some('=')) => (Op::Le, 2),
        ('>', Some('=')) => (Op::Ge, 2),
        ('<', _) => (Op::Lt, 1),
        ('>', _) => (Op::Gt, 1),
        _ => return err(at, "expected != after !"),
    };
    Ok((Tok::Op(op), i + len))
}

/// A `"…"` or `'…'` string at `i`; `\` escapes the next character.
fn lex_string(chars: &[(usize, char)], i: usize) -> Lexed {
    let (at, quote) = chars[i];
    let mut s = String::new();
    let mut i = i + 1;
    loop {
        let Some(&(_, ch)) = chars.get(i) else {
            return err(at, "unterminated string");
        };
        i += 1;
        match ch {
            '\\' => {
                let Some(&(_, esc)) = chars.get(i) else {
                    return err(at, "unterminated string");
                };
                s.push(esc);
                i += 1;
            }
            ch if ch == quote => return Ok((Tok::Str(s), i)),
            ch => s.push(ch),
        }
    }
}

/// A `[date-time]` at `i`.
fn lex_date(chars: &[(usize, char)], i: usize) -> Lexed {
    let at = chars[i].0;
    let start = i + 1;
    let Some(end) = (start..chars.len()).find(|&j| chars[j].1 == ']') else {
        return err(at, "unterminated [date]");
    };
    let text: String = chars[start..end].iter().map(|&(_, c)| c).collect();
    let Some(t) = datetime::parse(&text) else {
        return err(at, format!("[{text}] is not a date-time"));
    };
    Ok((Tok::Date(t), end + 1))
}

/// A number (digits, an optional leading `-`, dots) at `i`.
fn lex_number(chars: &[(usize, char)], i: usize) -> Lexed {
    let at = chars[i].0;
    let mut end = i + 1;
    while chars.get(end).is_some_and(|&(_, d)| d.is_ascii_digit() || d == '.') {
        end += 1;
    }
    let text: String = chars[i..end].iter().map(|&(_, c)| c).collect();
    let Ok(n) = text.parse::<f64>() else {
        return err(at, format!("{text} is not a number"));
    };
    Ok((Tok::Num(n), end))
}

/// A word (a field path such as `company/id`, or a keyword) at `i`.
fn lex_word(chars: &[(usize, char)], i: usize) -> (Tok, usize) {
    let mut end = i;
    while chars.get(end).is_some_and(|&(_, d)| d.is_alphanumeric() || d == '_' || d == '/') {
        end += 1;
    }
    (Tok::Word(chars[i..end].iter().map(|&(_, c)| c).collect()), end)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    depth: usize,
}

/// Parses a `conditions` (or `childConditions` / `customFieldConditions`) string. Error
/// positions count characters from 0, not bytes, so they hold for any script.
pub(crate) fn parse(input: &str) -> Result<Expr, ParseError> {
    parse_bytes(input).map_err(|mut e| {
        let byte = e.at.min(input.len());
        e.at = input.char_indices().take_while(|(i, _)| *i < byte).count();
        e
    })
}

fn parse_bytes(input: &str) -> Result<Expr, ParseError> {
    if input.len() > MAX_LEN {
        return err(MAX_LEN, format!("conditions longer than {MAX_LEN} characters"));
    }
    let toks = lex(input)?;
    let mut p = Parser { toks, pos: 0, end: input.len(), depth: 0 };
    let e = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(e),
        Some((at, t)) => err(*at, format!("unexpected {} after a complete condition", describe(t))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Comma => ",".into(),
        Tok::Op(op) => op.symbol().into(),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.to_string(),
        Tok::Date(_) => "a [date]".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |&(at, _)| at)
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn nest(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            err(self.at(), format!("conditions nested deeper than {MAX_DEPTH}"))
        } else {
            Ok(())
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.keyword("not") {
            self.pos += 1;
            self.nest()?;
            let e = Expr::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.nest()?;
            let e = self.or()?;
            self.depth -= 1;
            if self.peek() != Some(&Tok::RParen) {
                return err(self.at(), "expected )");
            }
            self.pos += 1;
            return Ok(e);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let at = self.at();
        let path = match self.peek() {
            Some(Tok::Word(w)) if !is_keyword(w) => w.clone(),
            Some(t) => return err(at, format!("expected a field name, found {}", describe(t))),
            None => return err(at, "expected a field name, found the end"),
        };
        if path.split('/').any(str::is_empty) {
            return err(at, format!("{path} is not a field path"));
        }
        let path: Vec<String> = path.split('/').map(str::to_owned).collect();
        self.pos += 1;
        let negated = self.keyword("not");
        if negated {
            self.pos += 1;
        }
        let op_at = self.at();
        let op = match self.peek().cloned() {
            Some(Tok::Op(op)) if !negated => op,
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("like") => {
                if negated {
                    Op::NotLike
                } else {
                    Op::Like
                }
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("contains") => {
                if negated {
                    Op::NotContains
                } else {
                    Op::Contains
                }
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => {
                self.pos += 1;
                return Ok(Expr::In { path, negated, values: self.list()? });
            }
            Some(t) => return err(op_at, format!("expected an operator, found {}", describe(&t))),
            None => return err(op_at, "expected an operator, found the end"),
        };
        self.pos += 1;
        let value = self.literal()?;
        if matches!(op, Op::Like | Op::NotLike | Op::Contains | Op::NotContains) && !matches!(value, Literal::Str(_)) {
            return err(op_at, format!("{} takes a quoted string", op.symbol()));
        }
        Ok(Expr::Cmp { path, op, value })
    }

    fn list(&mut self) -> Result<Vec<Literal>, ParseError> {
        if self.peek() != Some(&Tok::LParen) {
            return err(self.at(), "expected ( after in");
        }
        self.pos += 1;
        let mut values = vec![self.literal()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            values.push(self.literal()?);
        }
        if self.peek() != Some(&Tok::RParen) {
            return err(self.at(), "expected , or ) in the in (...) list");
        }
        self.pos += 1;
        Ok(values)
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        let at = self.at();
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Literal::Str(s.clone()),
            Some(Tok::Num(n)) => Literal::Num(*n),
            Some(Tok::Date(t)) => Literal::DateTime(*t),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            Some(t) => return err(at, format!("expected a value, found {}", describe(t))),
            None => return err(at, "expected a value, found the end"),
        };
        self.pos += 1;
        Ok(lit)
    }
}

fn is_keyword(w: &str) -> bool {
    ["and", "or", "not", "like", "contains", "in", "true", "false", "null"].iter().any(|k| k.eq_ignore_ascii_case(w))
}

impl Op {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "like",
            Op::NotLike => "not like",
            Op::Contains => "contains",
            Op::NotContains => "not contains",
        }
    }
}

/// The canonical text of a condition; parsing it gives the same [`Expr`] back.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(a, b) => write!(f, "({a} and {b})"),
            Expr::Or(a, b) => write!(f, "({a} or {b})"),
            Expr::Not(e) => write!(f, "not ({e})"),
            Expr::Cmp { path, op, value } => write!(f, "{} {} {value}", path.join("/"), op.symbol()),
            Expr::In { path, negated, values } => {
                write!(f, "{} {}in (", path.join("/"), if *negated { "not " } else { "" })?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
            Literal::DateTime(t) => write!(f, "[{}]", datetime::format(*t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(path: &str, op: Op, value: Literal) -> Expr {
        Expr::Cmp { path: path.split('/').map(str::to_owned).collect(), op, value }
    }

    #[test]
    fn the_official_example_parses_with_and_binding_tighter_than_or() {
        let e = parse(r#"(contact/name like "Fred%" and closedFlag = false) and dateEntered > [2015-12-23T05:53:27Z] or summary contains "test" AND  summary != "Some Summary""#).unwrap();
        let Expr::Or(left, right) = e else { panic!("top level is or: {e:?}") };
        assert!(matches!(*left, Expr::And(..)));
        assert_eq!(
            *right,
            Expr::And(
                Box::new(cmp("summary", Op::Contains, Literal::Str("test".into()))),
                Box::new(cmp("summary", Op::Ne, Literal::Str("Some Summary".into())))
            )
        );
    }

    #[test]
    fn single_quotes_and_unspaced_operators_parse_as_in_connectwise_links() {
        let e = parse("chargeToType='Ticket' AND chargeToId=493").unwrap();
        assert_eq!(
            e,
            Expr::And(
                Box::new(cmp("chargeToType", Op::Eq, Literal::Str("Ticket".into()))),
                Box::new(cmp("chargeToId", Op::Eq, Literal::Num(493.0)))
            )
        );
    }

    #[test]
    fn in_lists_not_forms_null_and_escapes_parse() {
        assert_eq!(
            parse(r#"id not in (1, 2,3)"#).unwrap(),
            Expr::In {
                path: vec!["id".into()],
                negated: true,
                values: vec![Literal::Num(1.0), Literal::Num(2.0), Literal::Num(3.0)]
            }
        );
        assert_eq!(parse("name not like 'a%'").unwrap(), cmp("name", Op::NotLike, Literal::Str("a%".into())));
        assert_eq!(parse("inactiveDate = NULL").unwrap(), cmp("inactiveDate", Op::Eq, Literal::Null));
        assert_eq!(parse(r#"name = "say \"hi\"""#).unwrap(), cmp("name", Op::Eq, Literal::Str("say \"hi\"".into())));
        assert!(matches!(parse("not (a = 1)").unwrap(), Expr::Not(_)));
    }

    #[test]
    fn mistakes_are_reported_with_their_position() {
        for (input, at) in [
            ("name =", 6),
            ("name \"x\"", 5),
            ("(a = 1", 6),
            ("a = 1 b = 2", 6),
            ("a like 5", 2),
            ("a = [not a date]", 4),
            ("a = 'open", 4),
            ("a = 1 & b = 2", 6),
            ("a//b = 1", 0),
        ] {
            let e = parse(input).unwrap_err();
            assert_eq!(e.at, at, "{input}: {e}");
        }
    }

    #[test]
    fn deep_nesting_and_huge_input_are_refused_not_overflowed() {
        let deep = format!("{}a = 1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
        let nots = format!("{}a = 1", "not ".repeat(1000));
        assert!(parse(&nots).is_err());
        assert!(parse(&"a = 1 or ".repeat(2000)).unwrap_err().message.contains("longer than"));
    }
}

/// Property tests: any `Expr` survives Display → parse unchanged, and no input panics.
#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    fn name() -> impl Strategy<Value = String> {
        // Field names, never keywords (a bare `and` would be read as the operator).
        "[a-z][a-zA-Z0-9_]{0,8}".prop_filter("not a keyword", |s| {
            !matches!(
                s.to_ascii_lowercase().as_str(),
                "and" | "or" | "not" | "like" | "contains" | "in" | "true" | "false" | "null"
            )
        })
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            any::<String>().prop_map(Literal::Str),
            (-1.0e9..1.0e9f64).prop_map(|n| Literal::Num((n * 100.0).round() / 100.0)),
            any::<bool>().prop_map(Literal::Bool),
            Just(Literal::Null),
            (0i64..4_102_444_800).prop_map(Literal::DateTime),
        ]
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        let path = || prop::collection::vec(name(), 1..3);
        let ops = prop_oneof![Just(Op::Eq), Just(Op::Ne), Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge)];
        let text_ops = prop_oneof![Just(Op::Like), Just(Op::NotLike), Just(Op::Contains), Just(Op::NotContains)];
        prop_oneof![
            (path(), ops, literal()).prop_map(|(path, op, value)| Expr::Cmp { path, op, value }),
            (path(), text_ops, any::<String>()).prop_map(|(path, op, s)| Expr::Cmp {
                path,
                op,
                value: Literal::Str(s)
            }),
            (path(), any::<bool>(), prop::collection::vec(literal(), 1..4))
                .prop_map(|(path, negated, values)| Expr::In { path, negated, values }),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn every_expression_round_trips_through_its_text(e in expr()) {
            let text = e.to_string();
            let parsed = parse(&text);
            prop_assert_eq!(parsed.as_ref(), Ok(&e), "text: {}", text);
        }

        #[test]
        fn no_input_panics_and_errors_point_inside_it(input in "\\PC{0,200}") {
            if let Err(e) = parse(&input) {
                prop_assert!(e.at <= input.chars().count(), "{} at {} of {:?}", e.message, e.at, input);
            }
        }

        #[test]
        fn near_miss_inputs_built_from_the_grammar_never_panic(
            parts in prop::collection::vec(prop_oneof![
                Just("("), Just(")"), Just(" and "), Just(" or "), Just("not "), Just("="), Just("!="), Just("<="),
                Just(" like "), Just(" in "), Just(","), Just("\""), Just("'"), Just("["), Just("]"), Just("\\"),
                Just("name"), Just("a/b"), Just("12.5"), Just("true"), Just("null"), Just("[2024-01-01T00:00:00Z]"),
            ], 0..40)
        ) {
            let input: String = parts.concat();
            let _ = parse(&input);
        }
    }
}
