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
use lex::{Tok, lex};

#[path = "conditions_lex.rs"]
mod lex;

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

fn err<T>(at: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { message: message.into(), at })
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

#[cfg(test)]
#[path = "conditions_props.rs"]
mod props;
