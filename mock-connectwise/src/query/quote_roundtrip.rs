//! `cw_model::conditions::quote` against this crate's own `conditions` parser: whatever the
//! string, `name = quote(s)` parses to a comparison with exactly `s`. The provisioner builds
//! every lookup with that function, so this is what keeps `Sync\Role` findable and `Admi\`
//! from matching `Admin` (issue #27, defect 16).

use proptest::prelude::*;

use super::super::conditions::{Expr, Literal, Op, parse};

fn parsed_value(s: &str) -> Literal {
    let text = cw_model::conditions::equals("name", s);
    match parse(&text) {
        Ok(Expr::Cmp { path, op: Op::Eq, value }) if path == ["name"] => value,
        other => panic!("{text:?} parsed as {other:?}"),
    }
}

#[test]
fn backslashes_and_quotes_come_back_as_written() {
    for s in ["Sync\\Role", "Admi\\", "\\", "\\\\\"", "say \"hi\"", "it's", "a\nb", ""] {
        assert_eq!(parsed_value(s), Literal::Str(s.to_owned()), "{s:?}");
    }
}

proptest! {
    #[test]
    fn quote_parses_back_to_exactly_the_string(s in "\\PC{0,60}|[\\\\\"' a-z]{0,20}") {
        prop_assert_eq!(parsed_value(&s), Literal::Str(s.clone()));
    }
}
