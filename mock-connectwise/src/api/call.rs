//! One permitted request as the endpoints see it ([`Call`]: its parameters, query, body and
//! caller) and what they answer ([`Reply`]), with the paging `Link` header.

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::{Permit, refusal};
use super::error::ApiError;
use super::json_response;
use super::routes::Param;
use crate::query::{BoundQuery, Fields, ListQuery, Paging};
use crate::resources::Res;
use crate::schema::ObjectSchema;
use crate::state::{AppState, site};
use crate::store::records::{Access, to_bytes};
use crate::store::{Caller, Listed, StoreError};
use cw_model::{Action, Function, PermissionLevel};

/// One permitted request.
pub(crate) struct Call<'a> {
    pub(crate) app: &'a AppState,
    pub(crate) parts: &'a Parts,
    pub(crate) caller: &'a Caller,
    pub(crate) permit: &'a Permit,
    pub(crate) params: &'a [Param],
    pub(crate) body: Option<Value>,
    /// The query string, parsed once however many times the endpoint asks.
    pub(crate) query: ParsedQuery,
}

/// The query string's pairs and list parameters, parsed on first use.
#[derive(Debug, Default)]
pub(crate) struct ParsedQuery {
    pairs: std::sync::OnceLock<Vec<(String, String)>>,
    list: std::sync::OnceLock<ListQuery>,
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Vec<u8>,
    pub(super) link: Option<String>,
    /// The media type of a body that is not JSON (an invoice's PDF, a contact's image).
    pub(super) media: Option<&'static str>,
    /// Whether records entered by others were involved (for the permission journal).
    pub(crate) others: bool,
}

impl Reply {
    pub(super) fn ok(body: Vec<u8>, others: bool) -> Self {
        Self { status: StatusCode::OK, body, link: None, media: None, others }
    }

    /// 204 after a delete; `others` as [`Reply::others`].
    pub(super) fn no_content(others: bool) -> Self {
        Self { status: StatusCode::NO_CONTENT, body: Vec::new(), link: None, media: None, others }
    }

    /// A body that is not JSON.
    pub(super) fn bytes(body: Vec<u8>, media: &'static str) -> Self {
        Self { status: StatusCode::OK, body, link: None, media: Some(media), others: false }
    }

    pub(super) fn value(v: &Value) -> Self {
        Self::ok(to_bytes(v), false)
    }

    pub(crate) fn into_response(self) -> Response {
        if self.status == StatusCode::NO_CONTENT {
            return self.status.into_response();
        }
        if let Some(media) = self.media {
            return (self.status, [(header::CONTENT_TYPE, media)], self.body).into_response();
        }
        let mut res = json_response(self.status, self.body);
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            res.headers_mut().insert(header::LINK, link);
        }
        res
    }
}

impl Call<'_> {
    pub(super) fn company(&self) -> &str {
        &self.caller.company
    }

    pub(super) fn access(&self) -> Access<'_> {
        self.permit.access(self.caller)
    }

    /// The API root for `_info` links.
    pub(super) fn base(&self) -> String {
        format!("{}/{}apis/3.0", site(&self.parts.headers), self.app.config.codebase)
    }

    pub(super) fn pairs(&self) -> &[(String, String)] {
        self.query.pairs.get_or_init(|| {
            let q = self.parts.uri.query().unwrap_or_default();
            form_urlencoded::parse(q.as_bytes()).into_owned().collect()
        })
    }

    pub(super) fn raw_query(&self) -> &ListQuery {
        self.query
            .list
            .get_or_init(|| ListQuery::from_pairs(self.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    pub(super) fn forward_only(&self) -> bool {
        self.parts
            .headers
            .get("pagination-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("forward-only"))
    }

    /// The list parameters bound to `schema`; forward-only paging pages by id alone.
    pub(super) fn list_query(&self, schema: &'static ObjectSchema, noun: &str) -> Result<BoundQuery, ApiError> {
        let raw = self.raw_query();
        let mut q = raw.bind(schema).map_err(|e| ApiError::from_store(e.into(), noun))?;
        if self.forward_only() {
            if raw.order_by.as_deref().is_some_and(|o| !o.trim().is_empty()) {
                return Err(ApiError::bad_request(
                    noun,
                    "orderBy",
                    "orderBy cannot be combined with forward-only paging, which always pages by id.",
                ));
            }
            q.paging.page = 1;
            q.paging.forward_only = true;
        }
        Ok(q)
    }

    pub(super) fn fields(&self, schema: &'static ObjectSchema, noun: &str) -> Result<Option<Fields>, ApiError> {
        match self.raw_query().fields.as_deref().map(str::trim) {
            None | Some("" | "*") => Ok(None),
            Some(text) => Fields::parse(schema, text)
                .map(Some)
                .map_err(|m| ApiError::bad_request(noun, "fields", format!("fields: {m}"))),
        }
    }

    /// The `i`th path parameter as an id. The route matched only int32 values there, so a
    /// missing one is a route table that disagrees with its endpoint: a 400 naming it, never 0.
    pub(super) fn int(&self, i: usize) -> Result<u32, ApiError> {
        match self.params.get(i) {
            Some(Param::Int(n)) => Ok(*n),
            _ => Err(missing_param(i)),
        }
    }

    /// The `i`th path parameter as text (an identifier, a report name).
    pub(super) fn text(&self, i: usize) -> Result<&str, ApiError> {
        match self.params.get(i) {
            Some(Param::Text(s)) => Ok(s),
            _ => Err(missing_param(i)),
        }
    }

    /// `(parent, id)` from the path of a collection's item route.
    /// The last ids of the path count: a grandchild's route
    /// (`/service/boards/{grandparentId}/statuses/{parentId}/notifications/{id}`) names its
    /// parent second to last.
    pub(super) fn ids(&self, res: Res) -> Result<(Option<u32>, u32), ApiError> {
        let last = self.params.len().checked_sub(1).ok_or_else(|| missing_param(0))?;
        if res.info().parent.is_some() {
            Ok((Some(self.int(last.checked_sub(1).ok_or_else(|| missing_param(0))?)?), self.int(last)?))
        } else {
            Ok((None, self.int(last)?))
        }
    }

    /// The parent id from the path of a collection's route (child collections only): the
    /// path's last id.
    pub(super) fn parent(&self, res: Res) -> Result<Option<u32>, ApiError> {
        match res.info().parent {
            Some(_) => Ok(Some(self.int(self.params.len().checked_sub(1).ok_or_else(|| missing_param(0))?)?)),
            None => Ok(None),
        }
    }

    pub(super) fn body(&self) -> Value {
        self.body.clone().unwrap_or(Value::Null)
    }

    /// A store error as an API error; a `My`-level caller touching another's record gets the
    /// 403 that names the level it lacks.
    pub(super) fn fail(&self, e: StoreError, noun: &str, needs: Option<(Function, Action)>) -> ApiError {
        match (e, needs) {
            (StoreError::NotOwn { entered_by }, Some((f, a))) => refusal(
                self.caller,
                f,
                a,
                PermissionLevel::My,
                Some(&format!("the record was entered by {entered_by}")),
            ),
            (e, _) => ApiError::from_store(e, noun),
        }
    }

    pub(super) fn list_reply(&self, listed: Listed, paging: &Paging) -> Reply {
        let link = self.links(paging, listed.total, listed.last_id);
        Reply { status: StatusCode::OK, body: listed.body, link, media: None, others: listed.others }
    }

    /// The `Link` header: navigable `page=N` links, or forward-only `pageId=N` ones. The page
    /// parameter comes last in every URL, which is where ConnectWise clients look for it. A
    /// list always has the header; it is empty when there is no other page (clients read it
    /// unconditionally, and forward-only paging stops at the empty one).
    pub(super) fn links(&self, paging: &Paging, total: usize, last_id: Option<u32>) -> Option<String> {
        let url = format!("{}{}", site(&self.parts.headers), self.parts.uri.path());
        // The other parameters are encoded once and shared by every link.
        let mut kept = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            if !k.eq_ignore_ascii_case("page") && !k.eq_ignore_ascii_case("pageid") {
                kept.append_pair(k, v);
            }
        }
        let kept = kept.finish();
        let sep = if kept.is_empty() { "" } else { "&" };
        let href = |name: &str, value: usize| format!("<{url}?{kept}{sep}{name}={value}>");
        let size = paging.size as usize;
        if self.forward_only() {
            return match last_id {
                Some(last) if total > size => Some(format!("{}; rel=\"next\"", href("pageId", last as usize))),
                _ => Some(String::new()),
            };
        }
        let last = total.div_ceil(size).max(1);
        let page = paging.page as usize;
        let rel = |p: usize, r: &str| format!("{}; rel=\"{r}\"", href("page", p));
        let links: Vec<String> = match page {
            1 if last == 1 => return Some(String::new()),
            1 => vec![rel(2, "next"), rel(last, "last")],
            p if p < last => vec![rel(p - 1, "prev"), rel(p + 1, "next"), rel(1, "first"), rel(last, "last")],
            p if p == last => vec![rel(p - 1, "prev"), rel(1, "first")],
            _ => vec![rel(last, "prev"), rel(1, "first")],
        };
        Some(links.join(", "))
    }
}

/// A path parameter the route should have captured and did not.
fn missing_param(i: usize) -> ApiError {
    ApiError::bad_request("request", "path", format!("path parameter {} is missing or malformed", i + 1))
}
