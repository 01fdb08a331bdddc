//! Binding a parsed condition to a schema: paths resolved to property keys, literals
//! converted to the field's type, patterns of `like` and `contains` folded. Every mistake is
//! an error that names the field, before any record is read.

use super::{Bound, Lit, MetaField, Pat, Target, Test, fold};
use crate::datetime;
use crate::query::conditions::{Expr, Literal, Op};
use crate::schema::{ObjectSchema, SCHEMAS, Type};

/// A path resolved against a schema, with the type of what it reaches.
pub(crate) fn resolve(schema: &'static ObjectSchema, path: &[String]) -> Result<(Target, &'static Type), String> {
    static ID: Type = Type::Int;
    static DATE: Type = Type::DateTime;
    static TEXT: Type = Type::Str;
    let joined = path.join("/");
    let first = path.first().map(String::as_str).unwrap_or_default();
    if path.len() == 1 && first.eq_ignore_ascii_case("id") {
        return Ok((Target::Id, &ID));
    }
    let meta_name = match path {
        [info, name] if info.eq_ignore_ascii_case("_info") => Some(name.as_str()),
        [name] if schema.prop(name).is_none() => Some(name.as_str()),
        _ => None,
    };
    if let Some(name) = meta_name {
        if let Some(m) = MetaField::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name)) {
            let ty = if matches!(m, MetaField::EnteredBy | MetaField::UpdatedBy) { &TEXT } else { &DATE };
            return Ok((Target::Meta(m), ty));
        }
    }
    let mut current = schema;
    let mut keys = Vec::with_capacity(path.len());
    let mut ty: &'static Type = &ID;
    for (i, seg) in path.iter().enumerate() {
        let Some((k, prop)) = current.prop(seg) else {
            return Err(format!("{joined}: {} has no field {seg}", current.name));
        };
        if matches!(prop.ty, Type::Info) {
            return Err(format!("{joined}: _info fields are dateEntered, lastUpdated, enteredBy and updatedBy"));
        }
        keys.push(k);
        ty = &prop.ty;
        if i + 1 < path.len() {
            current = match ty.object_schema() {
                Some(s) => SCHEMAS.get(s),
                None => return Err(format!("{joined}: {seg} has no fields")),
            };
        }
    }
    Ok((Target::Doc(keys), ty))
}

pub(super) fn bind(schema: &'static ObjectSchema, expr: &Expr) -> Result<Bound, String> {
    Ok(match expr {
        Expr::And(a, b) => Bound::And(Box::new(bind(schema, a)?), Box::new(bind(schema, b)?)),
        Expr::Or(a, b) => Bound::Or(Box::new(bind(schema, a)?), Box::new(bind(schema, b)?)),
        Expr::Not(e) => Bound::Not(Box::new(bind(schema, e)?)),
        Expr::In { path, negated, values } => {
            let (target, ty) = resolve(schema, path)?;
            let name = path.join("/");
            let lits = values
                .iter()
                .map(|v| convert(&name, ty, v)?.ok_or_else(|| format!("{name}: null cannot be in an in (...) list")))
                .collect::<Result<_, _>>()?;
            Bound::Leaf { target, test: Test::In(lits), negated: *negated }
        }
        Expr::Cmp { path, op, value } => {
            let (target, ty) = resolve(schema, path)?;
            let name = path.join("/");
            match op {
                Op::Like | Op::NotLike | Op::Contains | Op::NotContains => {
                    if !matches!(scalar(ty), Type::Str | Type::Enum(_) | Type::Any) {
                        return Err(format!("{name}: {} works on text fields only", op.symbol()));
                    }
                    let Literal::Str(s) = value else {
                        return Err(format!("{name}: {} takes a quoted string", op.symbol()));
                    };
                    let pat = if matches!(op, Op::Like | Op::NotLike) { like_pattern(s) } else { contains_pattern(s) };
                    Bound::Leaf { target, test: Test::Like(pat), negated: matches!(op, Op::NotLike | Op::NotContains) }
                }
                _ => match convert(&name, ty, value)? {
                    None => match op {
                        Op::Eq => Bound::Leaf { target, test: Test::Null, negated: false },
                        Op::Ne => Bound::Not(Box::new(Bound::Leaf { target, test: Test::Null, negated: false })),
                        _ => return Err(format!("{name}: null can only be compared with = or !=")),
                    },
                    Some(lit) => {
                        if matches!(lit, Lit::Bool(_)) && !matches!(op, Op::Eq | Op::Ne) {
                            return Err(format!("{name}: true and false can only be compared with = or !="));
                        }
                        match op {
                            Op::Ne => Bound::Leaf { target, test: Test::Cmp(Op::Eq, lit), negated: true },
                            op => Bound::Leaf { target, test: Test::Cmp(*op, lit), negated: false },
                        }
                    }
                },
            }
        }
    })
}

/// The element type of an array field, or the type itself.
fn scalar(ty: &Type) -> &Type {
    match ty {
        Type::Array(item) => item,
        t => t,
    }
}

/// The literal as the field's type, `None` for `null`.
fn convert(name: &str, ty: &Type, v: &Literal) -> Result<Option<Lit>, String> {
    let ty = scalar(ty);
    Ok(Some(match (ty, v) {
        (_, Literal::Null) => return Ok(None),
        (Type::Object(_) | Type::Array(_) | Type::Info, _) => {
            return Err(format!("{name} is an object: compare one of its fields, such as {name}/id or {name}/name"));
        }
        (Type::Str | Type::Enum(_), Literal::Str(s)) => Lit::Str(s.clone()),
        (Type::Str | Type::Enum(_), Literal::Num(n)) => Lit::Str(n.to_string()),
        (Type::Str, Literal::DateTime(t)) => Lit::DateTime(*t),
        (Type::Int | Type::Num, Literal::Num(n)) => Lit::Num(*n),
        (Type::Int | Type::Num, Literal::Str(s)) if s.trim().parse::<f64>().is_ok() => {
            Lit::Num(s.trim().parse().unwrap_or_default())
        }
        (Type::Bool, Literal::Bool(b)) => Lit::Bool(*b),
        (Type::Bool, Literal::Str(s)) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            Lit::Bool(s.eq_ignore_ascii_case("true"))
        }
        (Type::DateTime, Literal::DateTime(t)) => Lit::DateTime(*t),
        (Type::DateTime, Literal::Str(s)) if datetime::parse(s).is_some() => {
            Lit::DateTime(datetime::parse(s).unwrap_or_default())
        }
        (Type::Any, Literal::Str(s)) => Lit::Str(s.clone()),
        (Type::Any, Literal::Num(n)) => Lit::Num(*n),
        (Type::Any, Literal::Bool(b)) => Lit::Bool(*b),
        (Type::Any, Literal::DateTime(t)) => Lit::DateTime(*t),
        (ty, v) => {
            let expected = match ty {
                Type::Int | Type::Num => "a number",
                Type::Bool => "true or false",
                Type::DateTime => "a [date-time]",
                _ => "a quoted string",
            };
            return Err(format!("{name} must be compared with {expected}, not {v}"));
        }
    }))
}

pub(super) fn like_pattern(s: &str) -> Vec<Pat> {
    s.chars()
        .map(|c| match c {
            '%' => Pat::Any,
            '_' => Pat::One,
            c => Pat::Ch(fold(c)),
        })
        .collect()
}

fn contains_pattern(s: &str) -> Vec<Pat> {
    std::iter::once(Pat::Any).chain(s.chars().map(|c| Pat::Ch(fold(c)))).chain(std::iter::once(Pat::Any)).collect()
}
