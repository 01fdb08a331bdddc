//! The query language every list and count takes: `conditions`, `childConditions`,
//! `customFieldConditions`, `orderBy`, `fields`, `page`/`pageSize` and forward-only `pageId`.
//!
//! [`conditions`] parses the condition language, [`filter`] binds it to a schema and evaluates
//! it, [`shape`] handles `orderBy` and `fields`, and [`ListQuery`] reads the parameters of one
//! request and binds them all at once, so a bad parameter is one 400 before any record is read.

pub(crate) mod conditions;
pub(crate) mod filter;
pub(crate) mod plan;
pub(crate) mod shape;

use crate::schema::{ObjectSchema, Type, schema};
pub(crate) use filter::{Filter, Row};
pub(crate) use shape::{Fields, OrderBy};

/// The page size when none is asked for.
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 25;
/// ConnectWise's hard limit on one page; larger requests are clamped to it (an assumption).
pub(crate) const MAX_PAGE_SIZE: u32 = 1000;

/// A query parameter that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub(crate) struct QueryError {
    pub(crate) param: &'static str,
    pub(crate) message: String,
}

/// Which records and which page of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paging {
    /// 1-based page number (navigable paging).
    pub(crate) page: u32,
    pub(crate) size: u32,
    /// Forward-only paging: records with an id greater than this, in id order.
    pub(crate) after_id: Option<i64>,
    /// Forward-only paging (`pagination-type: forward-only`): the answer needs the page and
    /// whether another follows, not the total, so a scan stops one match past the page.
    pub(crate) forward_only: bool,
}

/// The raw query parameters of one list or count request.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListQuery {
    pub(crate) conditions: Option<String>,
    pub(crate) child_conditions: Option<String>,
    pub(crate) custom_field_conditions: Option<String>,
    pub(crate) order_by: Option<String>,
    pub(crate) fields: Option<String>,
    pub(crate) page: Option<String>,
    pub(crate) page_size: Option<String>,
    pub(crate) page_id: Option<String>,
}

/// A list query bound to one schema.
#[derive(Debug)]
pub(crate) struct BoundQuery {
    pub(crate) filters: Vec<Filter>,
    /// `customFieldConditions`, matched against each element of `customFields`.
    pub(crate) custom: Option<(u16, Filter)>,
    pub(crate) order: OrderBy,
    pub(crate) fields: Option<Fields>,
    pub(crate) paging: Paging,
}

impl ListQuery {
    /// Reads the known parameters (names match case-insensitively; others are ignored).
    pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut q = Self::default();
        for (k, v) in pairs {
            let slot = match k.to_ascii_lowercase().as_str() {
                "conditions" => &mut q.conditions,
                "childconditions" => &mut q.child_conditions,
                "customfieldconditions" => &mut q.custom_field_conditions,
                "orderby" => &mut q.order_by,
                "fields" => &mut q.fields,
                "page" => &mut q.page,
                "pagesize" => &mut q.page_size,
                "pageid" => &mut q.page_id,
                _ => continue,
            };
            *slot = Some(v.to_owned());
        }
        q
    }

    /// Binds every parameter to `schema`.
    pub(crate) fn bind(&self, schema_: &'static ObjectSchema) -> Result<BoundQuery, QueryError> {
        let mut filters = Vec::new();
        for (param, text) in [("conditions", &self.conditions), ("childConditions", &self.child_conditions)] {
            if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
                filters.push(bind_filter(param, schema_, text)?);
            }
        }
        let custom = match self.custom_field_conditions.as_deref().filter(|t| !t.trim().is_empty()) {
            None => None,
            Some(text) => {
                let param = "customFieldConditions";
                let Some((key, prop)) = schema_.prop("customFields") else {
                    return Err(QueryError { param, message: format!("{} has no custom fields", schema_.name) });
                };
                debug_assert!(matches!(&prop.ty, Type::Array(_)));
                Some((key, bind_filter(param, schema("CustomFieldValue"), text)?))
            }
        };
        let order = match self.order_by.as_deref() {
            Some(text) => OrderBy::parse(schema_, text).map_err(|message| QueryError { param: "orderBy", message })?,
            None => OrderBy::default(),
        };
        let fields = match self.fields.as_deref().map(str::trim) {
            None | Some("" | "*") => None,
            Some(text) => {
                Some(Fields::parse(schema_, text).map_err(|message| QueryError { param: "fields", message })?)
            }
        };
        let paging = Paging {
            page: number("page", self.page.as_deref(), 1)?,
            size: number("pageSize", self.page_size.as_deref(), DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE),
            after_id: match self.page_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => Some(
                    t.parse::<i64>()
                        .map_err(|_| QueryError { param: "pageId", message: format!("'{t}' is not a whole number") })?,
                ),
            },
            forward_only: false,
        };
        Ok(BoundQuery { filters, custom, order, fields, paging })
    }
}

fn bind_filter(param: &'static str, schema: &'static ObjectSchema, text: &str) -> Result<Filter, QueryError> {
    let expr = conditions::parse(text).map_err(|e| QueryError { param, message: e.to_string() })?;
    Filter::bind(schema, &expr).map_err(|message| QueryError { param, message })
}

/// A positive whole number parameter, or its default when absent.
fn number(param: &'static str, text: Option<&str>, default: u32) -> Result<u32, QueryError> {
    match text.map(str::trim) {
        None | Some("") => Ok(default),
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
            Ok(_) => Err(QueryError { param, message: format!("must be 1 or more, not {t}") }),
            Err(_) => Err(QueryError { param, message: format!("'{t}' is not a whole number") }),
        },
    }
}

impl BoundQuery {
    /// Whether a record passes every filter.
    pub(crate) fn matches<'a>(&self, row: &impl Row<'a>) -> bool {
        self.filters.iter().all(|f| f.matches(row))
            && self.custom.as_ref().is_none_or(|(key, f)| match row.doc().get(*key) {
                Some(crate::doc::Val::Arr(items)) => {
                    items.iter().any(|it| matches!(it, crate::doc::Val::Obj(d) if f.matches_doc(d)))
                }
                _ => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<BoundQuery, QueryError> {
        ListQuery::from_pairs(pairs.iter().copied()).bind(schema("Member"))
    }

    #[test]
    fn paging_defaults_to_25_and_clamps_to_1000() {
        assert_eq!(q(&[]).unwrap().paging, Paging { page: 1, size: 25, after_id: None, forward_only: false });
        assert_eq!(q(&[("PAGESIZE", "5000"), ("page", "3")]).unwrap().paging.size, 1000);
        assert_eq!(q(&[("pageId", "40")]).unwrap().paging.after_id, Some(40));
    }

    #[test]
    fn bad_paging_values_name_the_parameter() {
        for (k, v) in [("page", "0"), ("pageSize", "-1"), ("page", "two"), ("pageId", "x")] {
            let e = q(&[(k, v)]).unwrap_err();
            assert_eq!(e.param.to_ascii_lowercase(), k.to_ascii_lowercase(), "{e}");
        }
    }

    #[test]
    fn custom_field_conditions_need_a_schema_with_custom_fields() {
        assert!(q(&[("customFieldConditions", "caption = 'x'")]).is_ok());
        let e = ListQuery::from_pairs([("customFieldConditions", "caption = 'x'")])
            .bind(schema("SecurityRole"))
            .unwrap_err();
        assert!(e.message.contains("no custom fields"));
    }
}
