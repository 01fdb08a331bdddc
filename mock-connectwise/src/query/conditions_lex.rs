//! The `conditions` lexer: characters to tokens, each with the character position it
//! starts at (error positions count characters, not bytes).

use super::{Op, ParseError, err};
use crate::datetime;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    Comma,
    Op(Op),
    Word(String),
    Str(String),
    Num(f64),
    Date(i64),
}

pub(super) fn lex(input: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
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
