//! Property tests of the `conditions` parser: any `Expr` survives Display → parse unchanged,
//! and no input panics.

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
        (path(), text_ops, any::<String>()).prop_map(|(path, op, s)| Expr::Cmp { path, op, value: Literal::Str(s) }),
        (path(), any::<bool>(), prop::collection::vec(literal(), 1..4)).prop_map(|(path, negated, values)| Expr::In {
            path,
            negated,
            values
        }),
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
